/** SQS and S3 on one port, emulated in-process by fauxqs (in memory). */
import { join } from 'node:path';
import { EmulatorStartError } from './errors';
import { EsmLoadError, loadEsmEntry, packageDirOf, packageManifest } from './esm-package';
import { LOOPBACK_HOST } from './free-port';
import type { RunningEmulator } from './running-emulator';

/**
 * The part of fauxqs's API used here (its own typings import `.ts` paths and do not resolve
 * under this project's settings): `buildApp` returns a Fastify instance.
 */
interface FauxqsModule {
  buildApp(options: { logger?: boolean; defaultRegion?: string; host?: string }): FauxqsApp;
}

interface FauxqsApp {
  /** Resolves to the address listened on, e.g. `http://127.0.0.1:41234`. */
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}

/** Options of {@link startFauxqsEmulator}. */
export interface FauxqsStartOptions {
  /** Region of requests that carry none (unsigned); signed SDK requests use their own. */
  readonly defaultRegion?: string;
}

function isFauxqsModule(loaded: unknown): loaded is FauxqsModule {
  return typeof loaded === 'object' && loaded !== null && typeof (loaded as Partial<FauxqsModule>).buildApp === 'function';
}

/** fauxqs is ESM-only and exports only an `import` condition: loaded as esm-package.ts explains. */
async function importFauxqs(): Promise<FauxqsModule> {
  const { dir: packageDir, searched } = packageDirOf('fauxqs');
  if (packageDir === undefined) throw new EmulatorStartError('sqs+s3', `the fauxqs package is not installed (looked in ${searched.join(', ')})`);
  const entry = join(packageDir, packageManifest(packageDir).main ?? join('dist', 'app.js'));
  let loaded: FauxqsModule | undefined;
  try {
    loaded = await loadEsmEntry(entry, (module) => (isFauxqsModule(module) ? module : undefined));
  } catch (error) {
    throw new EmulatorStartError('sqs+s3', `cannot load fauxqs from ${entry}: ${(error as Error).message}`, { cause: error instanceof EsmLoadError ? error.firstFailure : error });
  }
  if (loaded === undefined) throw new EmulatorStartError('sqs+s3', `fauxqs in ${packageDir} has no buildApp export`);
  return loaded;
}

let fauxqsModule: Promise<FauxqsModule> | undefined;

/**
 * Starts fauxqs on a free loopback port: SQS (JSON protocol, FIFO, dead-letter queues) and S3
 * (path-style) on one endpoint. Built with fauxqs's `buildApp` rather than `startFauxqs`, which
 * always listens on every interface (0.0.0.0): an unauthenticated S3 has no business on the network.
 */
export async function startFauxqsEmulator(options: FauxqsStartOptions = {}): Promise<RunningEmulator> {
  let app: FauxqsApp;
  let port: number;
  try {
    fauxqsModule ??= importFauxqs().catch((error: unknown) => {
      fauxqsModule = undefined; // Not cached: the next start tries again.
      throw error;
    });
    app = (await fauxqsModule).buildApp({ logger: false, defaultRegion: options.defaultRegion ?? 'eu-west-1' });
    port = Number(new URL(await app.listen({ port: 0, host: LOOPBACK_HOST })).port);
  } catch (error) {
    if (error instanceof EmulatorStartError) throw error;
    throw new EmulatorStartError('sqs+s3', `fauxqs did not start: ${(error as Error).message}`, { cause: error });
  }
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${LOOPBACK_HOST}:${port}`,
    port,
    stop: () => (stopping ??= app.close()),
  };
}

/** SQS and S3 on one port, emulated in-process by fauxqs (in memory). */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { constants, runInThisContext } from 'node:vm';
import { EmulatorStartError } from './errors';
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

/** The fauxqs package folder, found the way Node finds `node_modules` packages from here. */
function fauxqsPackageDir(): string {
  const searched = createRequire(__filename).resolve.paths('fauxqs') ?? [];
  const packageDir = searched.map((dir) => join(dir, 'fauxqs')).find((dir) => existsSync(join(dir, 'package.json')));
  if (packageDir === undefined) {
    throw new EmulatorStartError('sqs+s3', `the fauxqs package is not installed (looked in ${searched.join(', ')})`);
  }
  return packageDir;
}

function isFauxqsModule(loaded: unknown): loaded is FauxqsModule {
  return typeof loaded === 'object' && loaded !== null && typeof (loaded as Partial<FauxqsModule>).buildApp === 'function';
}

/**
 * fauxqs is ESM-only and exports only an `import` condition, while this project runs as CommonJS
 * (tsx; Jest through SWC, which turns `import()` into Jest's own `require`). Under Node and tsx,
 * Node's `require` loads it by file path (Node 20.19+ requires ES modules without top-level await).
 * Under Jest, whose `require` and `createRequire` cannot load ES modules, it is imported by Node's
 * own loader from a function compiled in the main context (`vm.runInThisContext` with the main
 * context's default loader: Node 20 calls that experimental and warns once).
 */
async function importFauxqs(): Promise<FauxqsModule> {
  const packageDir = fauxqsPackageDir();
  const { main } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { main?: string };
  const entry = join(packageDir, main ?? join('dist', 'app.js'));
  let requireError: unknown;
  try {
    const required: unknown = createRequire(__filename)(entry);
    if (isFauxqsModule(required)) return required;
  } catch (error) {
    requireError = error;
  }
  try {
    const nativeImport = runInThisContext('(specifier) => import(specifier)', {
      importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    }) as (specifier: string) => Promise<unknown>;
    const imported = await nativeImport(pathToFileURL(entry).href);
    if (isFauxqsModule(imported)) return imported;
  } catch (error) {
    throw new EmulatorStartError('sqs+s3', `cannot load fauxqs from ${entry}: ${(error as Error).message}`, { cause: requireError ?? error });
  }
  throw new EmulatorStartError('sqs+s3', `fauxqs in ${packageDir} has no buildApp export`);
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

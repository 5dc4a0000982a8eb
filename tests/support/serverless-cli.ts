/**
 * Runs the project's own Serverless CLI (node_modules/.bin/serverless) the way CI does: offline,
 * with fake credentials, no telemetry and no prompts.
 *
 * Runs are serialised across Jest workers by a lock directory, because serverless-esbuild
 * builds every command in the same `.esbuild/` folder of the project and deletes it afterwards:
 * a `package` running beside an `invoke local` would pull the bundle out from under it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { serverlessCliEnvironment } from '../../lib/local/service/serverless-cli-environment';

const execFileAsync = promisify(execFile);

export const PROJECT_ROOT = resolve(__dirname, '..', '..');
const SERVERLESS_BIN = join(PROJECT_ROOT, 'node_modules', '.bin', 'serverless');

/** Long enough for a cold esbuild bundle of the AWS SDK on a slow CI machine. */
export const SERVERLESS_TIMEOUT_MS = 150_000;

export interface ServerlessRunOptions {
  /** Extra environment for the CLI (and for the handler, with `invoke local`). */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export interface ServerlessRunResult {
  readonly stdout: string;
  readonly stderr: string;
}

export class ServerlessCliError extends Error {
  override readonly name = 'ServerlessCliError';
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | string | undefined,
    readonly stdout: string,
    readonly stderr: string,
    options?: ErrorOptions,
  ) {
    super(`serverless ${args.join(' ')} failed (exit ${String(exitCode)}):\n${tail(stderr) || tail(stdout)}`, options);
  }
}

function tail(text: string, max = 8000): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

/** Runs `serverless <args>` in the project root; throws {@link ServerlessCliError} (with stderr) on a non-zero exit. */
export async function runServerless(args: readonly string[], options: ServerlessRunOptions = {}): Promise<ServerlessRunResult> {
  const timeout = options.timeoutMs ?? SERVERLESS_TIMEOUT_MS;
  return withProjectLock(timeout, async () => {
    try {
      const { stdout, stderr } = await execFileAsync(SERVERLESS_BIN, [...args], {
        cwd: PROJECT_ROOT,
        env: serverlessCliEnvironment(options.env ?? {}),
        timeout,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      });
      return { stdout, stderr };
    } catch (error) {
      const e = error as { code?: number | string; signal?: string; stdout?: string; stderr?: string; message?: string };
      throw new ServerlessCliError(args, e.code ?? e.signal, e.stdout ?? '', e.stderr ?? e.message ?? '', { cause: error });
    }
  });
}

// --- A lock shared by every process running tests in this checkout --------------------------

const LOCK_DIR = join(tmpdir(), `shardline-serverless-cli-${createHash('sha256').update(PROJECT_ROOT).digest('hex').slice(0, 12)}.lock`);
const LOCK_POLL_MS = 200;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the lock's holder is gone (died without releasing it) or the lock is older than any run may take. */
async function lockIsStale(maxAgeMs: number): Promise<boolean> {
  try {
    const pid = Number(await readFile(join(LOCK_DIR, 'pid'), 'utf8'));
    if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) return true;
    return Date.now() - (await stat(LOCK_DIR)).mtimeMs > maxAgeMs;
  } catch {
    // No pid file yet: the holder is between mkdir and writeFile, unless it died right there.
    try {
      return Date.now() - (await stat(LOCK_DIR)).mtimeMs > maxAgeMs;
    } catch {
      return false; // The lock went away: try again.
    }
  }
}

async function withProjectLock<T>(runTimeoutMs: number, run: () => Promise<T>): Promise<T> {
  // Waiting for other runs can take a few of their timeouts.
  const deadline = Date.now() + 4 * runTimeoutMs;
  for (;;) {
    try {
      await mkdir(LOCK_DIR);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await lockIsStale(2 * runTimeoutMs)) {
        await rm(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for the Serverless CLI lock ${LOCK_DIR}`, { cause: error });
      await new Promise((done) => setTimeout(done, LOCK_POLL_MS));
    }
  }
  try {
    await writeFile(join(LOCK_DIR, 'pid'), String(process.pid));
    return await run();
  } finally {
    await rm(LOCK_DIR, { recursive: true, force: true });
  }
}

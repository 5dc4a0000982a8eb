/**
 * One lock per checkout for everything that runs the project's Serverless CLI (tests, the
 * offline endpoint): serverless-esbuild builds every command in the same `.esbuild/` folder of
 * the project and deletes it afterwards, so two runs at once would pull bundles from under each
 * other. A directory holding the holder's pid; an abandoned one is taken over.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from './load-service-definition';
import { isProcessAlive } from '../process-alive';

export class ServerlessCliLockTimeoutError extends Error {
  override readonly name = 'ServerlessCliLockTimeoutError';
}

const LOCK_POLL_MS = 200;
/** Another holder's lock counts as abandoned past this age (tests/support/serverless-cli.ts: twice its 150 s run timeout). */
const LOCK_STALE_MS = 300_000;
/** Holding the lock for long, its age is refreshed this often so that other waiters never take it as abandoned. */
const LOCK_HEARTBEAT_MS = 30_000;

/** The lock directory of a project: `<tmp>/shardline-serverless-cli-<sha256(root)[0..12]>.lock`. */
export function serverlessCliLockDir(projectRoot: string = PROJECT_ROOT): string {
  return join(tmpdir(), `shardline-serverless-cli-${createHash('sha256').update(projectRoot).digest('hex').slice(0, 12)}.lock`);
}

async function lockIsStale(dir: string): Promise<boolean> {
  try {
    const pid = Number(await readFile(join(dir, 'pid'), 'utf8'));
    if (Number.isInteger(pid) && pid > 0 && !isProcessAlive(pid)) return true;
  } catch {
    // No pid file yet (the holder is between mkdir and writeFile): judge by age alone.
  }
  try {
    return Date.now() - (await stat(dir)).mtimeMs > LOCK_STALE_MS;
  } catch {
    return false; // Released meanwhile: try again.
  }
}

/**
 * Takes the project's Serverless CLI lock (a directory holding the holder's pid), waiting for its
 * holder and taking over an abandoned one, and keeps it fresh until the returned function releases it.
 */
export async function acquireServerlessCliLock(projectRoot: string = PROJECT_ROOT, timeoutMs = 600_000): Promise<() => Promise<void>> {
  const dir = serverlessCliLockDir(projectRoot);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(dir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await lockIsStale(dir)) {
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new ServerlessCliLockTimeoutError(`Timed out after ${timeoutMs} ms waiting for the Serverless CLI lock ${dir}`, { cause: error });
      await new Promise((done) => setTimeout(done, LOCK_POLL_MS));
    }
  }
  await writeFile(join(dir, 'pid'), String(process.pid));
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(dir, now, now).catch(() => undefined);
  }, LOCK_HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    clearInterval(heartbeat);
    await rm(dir, { recursive: true, force: true });
  };
}


/**
 * Runs the project's own Serverless CLI (node_modules/.bin/serverless) the way CI does: offline,
 * with fake credentials, no telemetry and no prompts.
 *
 * Runs are serialised across Jest workers by a lock directory, because serverless-esbuild
 * builds every command in the same `.esbuild/` folder of the project and deletes it afterwards:
 * a `package` running beside an `invoke local` would pull the bundle out from under it.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { serverlessCliEnvironment } from '../../lib/local/service/serverless-cli-environment';
import { acquireServerlessCliLock } from '../../lib/local/service/serverless-cli-lock';

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
  const release = await acquireServerlessCliLock(PROJECT_ROOT, 4 * timeout);
  try {
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
  } finally {
    await release();
  }
}


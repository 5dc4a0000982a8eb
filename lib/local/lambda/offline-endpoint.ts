/**
 * The service's functions run by `serverless offline` (serverless-offline, after serverless-esbuild
 * has bundled them, as `serverless package` would) and invoked through its Lambda `Invoke` API:
 * the alternative to `LocalFunctions`' in-process invocation, closer to what Lambda runs
 * (the bundle, in a worker thread, with only the declared environment and `AWS_*` variables).
 *
 * The CLI process runs in its own process group on free loopback ports and holds the project's
 * Serverless CLI lock (the one tests/support/serverless-cli.ts takes) while it runs, because
 * serverless-esbuild bundles every command into the same `.esbuild/` folder of the project.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { access, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { serverlessCliEnvironment } from '../service/serverless-cli-environment';
import { PROJECT_ROOT } from '../service/load-service-definition';
import { functionLogicalId, UnknownFunctionError } from './local-functions';
import { acquireServerlessCliLock } from '../service/serverless-cli-lock';
export { acquireServerlessCliLock, serverlessCliLockDir, ServerlessCliLockTimeoutError } from '../service/serverless-cli-lock';

/** Options of {@link startServerlessOffline}. */
export interface ServerlessOfflineOptions {
  /** `--stage`. Default `dev`. */
  readonly stage?: string;
  /** The Lambda endpoint's port. Default: a free loopback port. */
  readonly lambdaPort?: number;
  /**
   * Extra environment for the CLI. serverless-offline passes a function only its declared
   * environment and the CLI's `AWS_*` variables (e.g. `AWS_ENDPOINT_URL_S3`), not the others.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** The folder of serverless.yml. Default {@link PROJECT_ROOT}. */
  readonly projectRoot?: string;
  /** How long bundling and start-up may take. Default 120 s. */
  readonly startTimeoutMs?: number;
  /** Take the project's Serverless CLI lock for the process's lifetime. Default true. */
  readonly lock?: boolean;
  /** How long to wait for the lock. Default 10 minutes. */
  readonly lockTimeoutMs?: number;
}

/** A running `serverless offline` and a client of its Lambda endpoint. */
export interface ServerlessOffline {
  /** The Lambda endpoint, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  /** The CLI's process id, which is also its process group id. */
  readonly pid: number;
  /** The command line, executable first. */
  readonly command: readonly string[];
  /** The deployed function names by key, as serverless-offline announced them. */
  readonly functionNames: ReadonlyMap<string, string>;
  /**
   * A synchronous (`RequestResponse`) invocation of a function by key, name, ARN (qualified or
   * not) or CloudFormation logical id, like `LocalFunctions.invoke`: its JSON
   * answer (`null` for none). Throws {@link LambdaFunctionError} when the function fails,
   * {@link UnknownFunctionError} when there is no such function and
   * {@link ServerlessOfflineInvokeError} when the endpoint cannot be used.
   */
  invoke(reference: string, event: unknown): Promise<unknown>;
  /** The last 64 KiB of the CLI's standard output and error (the functions' logs included). */
  output(): string;
  /** Stops the CLI's whole process group and releases the lock; resolves once every process has exited. Idempotent. */
  stop(): Promise<void>;
}

/** `serverless offline` exited, or did not answer in time, before its Lambda endpoint was ready. */
export class ServerlessOfflineStartError extends Error {
  override readonly name = 'ServerlessOfflineStartError';
  constructor(
    message: string,
    readonly command: readonly string[],
    /** The tail of the CLI's output. */
    readonly output: string,
    readonly exitCode: number | null = null,
    readonly signal: NodeJS.Signals | null = null,
    options?: ErrorOptions,
  ) {
    super(`${message}\ncommand: ${command.join(' ')}\n${output.slice(-4000)}`, options);
  }
}

/** The function failed (the Invoke API answered with `FunctionError`); its error object is in the payload. */
export class LambdaFunctionError extends Error {
  override readonly name = 'LambdaFunctionError';
  constructor(
    readonly functionName: string,
    /** `Unhandled` (the handler threw) or `Handled`. */
    readonly functionError: string,
    readonly errorType: string,
    readonly errorMessage: string,
    readonly trace: readonly string[] = [],
  ) {
    super(`${functionName} failed (${functionError}): ${errorType}: ${errorMessage}`);
  }
}

/** The Lambda endpoint could not be used: the server is stopped or unreachable, or the answer is not JSON. */
export class ServerlessOfflineInvokeError extends Error {
  override readonly name = 'ServerlessOfflineInvokeError';
}

/** The project's Serverless CLI lock stayed held by a live process for longer than allowed. */

// --- Free ports --------------------------------------------------------------------------------

/** `count` distinct free loopback ports, as the OS gives them (listen on port 0, read, close). */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  })));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

// --- The project's Serverless CLI lock (shared with tests/support/serverless-cli.ts) -------------

// --- The CLI's output --------------------------------------------------------------------------

const OUTPUT_LIMIT = 64 * 1024;
const ANSI_ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');
const NAMES_HEADER = 'Function names exposed for local invocation by aws-sdk:';
const NAME_LINE = /^\s*\*\s+(\S+):\s+(\S+)\s*$/;

/**
 * The `key: name` list serverless-offline prints once its Lambda endpoint listens, or undefined
 * while the block is not (completely) there.
 */
export function parseFunctionNames(output: string): Map<string, string> | undefined {
  const text = output.replace(ANSI_ESCAPE, '');
  const start = text.indexOf(NAMES_HEADER);
  if (start === -1) return undefined;
  const lines = text.slice(start + NAMES_HEADER.length).split('\n').slice(1);
  const names = new Map<string, string>();
  for (const [i, line] of lines.entries()) {
    const match = NAME_LINE.exec(line);
    if (!match) break;
    if (i === lines.length - 1) return undefined; // No newline yet: the line may be cut.
    names.set(match[1] ?? '', match[2] ?? '');
  }
  return names.size > 0 ? names : undefined;
}

// --- The process ----------------------------------------------------------------------------------

const HOST = '127.0.0.1';
const READY_POLL_MS = 250;
const STOP_GRACE_MS = 10_000;
const FAKE_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/**
 * True while a process of the group `pgid` runs. Exited processes waiting to be reaped (zombies:
 * the CLI's children are re-parented to init, which may reap them only a second later) do not
 * count where /proc tells them apart.
 */
async function groupAlive(pgid: number): Promise<boolean> {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return true; // No /proc: a zombie cannot be told from a live process.
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(join('/proc', entry, 'stat'), 'utf8');
      // After "pid (comm) ": state, ppid, pgrp.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
    } catch {
      // Gone meanwhile.
    }
  }
  return false;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Gone already.
  }
}

/** Whether the Lambda endpoint answers its Invoke route (a missing function: 404 ResourceNotFoundException). */
async function endpointAnswers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/2015-03-31/functions/readiness-probe/invocations`, {
      method: 'POST', body: '{}', signal: AbortSignal.timeout(2000),
    });
    await response.arrayBuffer();
    return response.headers.get('x-amzn-errortype') === 'ResourceNotFoundException';
  } catch {
    return false;
  }
}

/** Waits for `promise`, or `ms` at most. */
async function settleWithin(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((done) => { timer = setTimeout(done, ms); })]);
  clearTimeout(timer);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `serverless offline start` for the project, on free loopback ports, in the environment
 * of {@link serverlessCliEnvironment} plus `options.env`, and resolves once its Lambda endpoint
 * answers (a few seconds: serverless-esbuild bundles the functions first). Throws
 * {@link ServerlessOfflineStartError} (with the CLI's last output) if the CLI exits or does not
 * answer within `startTimeoutMs`, {@link ServerlessCliLockTimeoutError} if the lock stays held.
 */
export async function startServerlessOffline(options: ServerlessOfflineOptions = {}): Promise<ServerlessOffline> {
  const projectRoot = options.projectRoot ?? PROJECT_ROOT;
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const release = options.lock === false ? (): Promise<void> => Promise.resolve() : await acquireServerlessCliLock(projectRoot, options.lockTimeoutMs);
  try {
    // Left as found: the bundle folder goes when the process stops, unless it was there before.
    const workFolder = join(projectRoot, '.esbuild');
    const workFolderExisted = await exists(workFolder);
    const [freeLambdaPort, httpPort, websocketPort, albPort] = await freeLoopbackPorts(4);
    const lambdaPort = options.lambdaPort ?? freeLambdaPort;
    const endpoint = `http://${HOST}:${lambdaPort}`;
    const executable = join(projectRoot, 'node_modules', '.bin', 'serverless');
    const args = [
      'offline', 'start', '--stage', options.stage ?? 'dev', '--host', HOST,
      '--lambdaPort', String(lambdaPort), '--httpPort', String(httpPort), '--websocketPort', String(websocketPort), '--albPort', String(albPort),
      '--noSponsor',
    ];
    const command = [executable, ...args];

    const child: ChildProcess = spawn(executable, args, {
      cwd: projectRoot, env: serverlessCliEnvironment(options.env ?? {}), detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const append = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.length > 2 * OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exit = { code, signal };
        resolve();
      });
    });
    // 'close' comes once the output pipes are drained (every writer in the group gone).
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    let spawnError: Error | undefined;
    child.once('error', (error) => {
      spawnError = error;
    });
    const pid = child.pid;
    const tail = (): string => output.slice(-OUTPUT_LIMIT);
    if (pid === undefined) {
      // Node emits 'error' (e.g. ENOENT) on the next tick when it could not start the process.
      const error = spawnError ?? (await new Promise<Error>((resolve) => child.once('error', resolve)));
      throw new ServerlessOfflineStartError(`serverless offline could not be started: ${error.message}`, command, '', null, null, { cause: error });
    }

    // If this process ends without stop(), the detached group must not outlive it.
    const killOnExit = (): void => {
      signalGroup(pid, 'SIGKILL');
    };
    process.once('exit', killOnExit);

    const client = new LambdaClient({ endpoint, region: 'eu-west-1', credentials: FAKE_CREDENTIALS, maxAttempts: 1 });
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        // Keep-alive sockets would hold the server's graceful shutdown for its 5 s timeout.
        client.destroy();
        if (!exit) signalGroup(pid, 'SIGTERM');
        const grace = setTimeout(() => signalGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(grace);
        // Whatever the CLI started (esbuild's service, npm) shares its group.
        for (let waited = 0; await groupAlive(pid); waited += 50) {
          if (waited === 0) signalGroup(pid, 'SIGTERM');
          if (waited === 2000) signalGroup(pid, 'SIGKILL');
          await new Promise((done) => setTimeout(done, 50));
        }
        await settleWithin(closed, 1000);
        process.removeListener('exit', killOnExit);
        if (!workFolderExisted) await rm(workFolder, { recursive: true, force: true });
        await release();
      })();
      return stopping;
    };

    // Ready once the endpoint answers its Invoke route and the function names are printed.
    const deadline = Date.now() + startTimeoutMs;
    let functionNames: Map<string, string> | undefined;
    for (;;) {
      if (spawnError || exit) {
        await stop();
        const reason = spawnError ? `failed: ${spawnError.message}` : `exited (code ${String(exit?.code)}, signal ${String(exit?.signal)}) before its Lambda endpoint was ready`;
        throw new ServerlessOfflineStartError(`serverless offline ${reason}`, command, tail(), exit?.code ?? null, exit?.signal ?? null, { cause: spawnError });
      }
      functionNames ??= parseFunctionNames(output);
      if (functionNames && (await endpointAnswers(endpoint))) break;
      if (Date.now() > deadline) {
        await stop();
        throw new ServerlessOfflineStartError(`serverless offline did not answer on ${endpoint} within ${startTimeoutMs} ms`, command, tail());
      }
      await new Promise((done) => setTimeout(done, READY_POLL_MS));
    }
    const names: ReadonlyMap<string, string> = functionNames;

    const invoke = async (reference: string, event: unknown): Promise<unknown> => {
      if (stopping) throw new ServerlessOfflineInvokeError(`serverless offline (${endpoint}) is stopped: cannot invoke ${reference}`);
      const named = reference.startsWith('arn:') ? (reference.split(':')[6] ?? reference) : reference;
      const key = [...names.keys()].find((k) => k === named || functionLogicalId(k) === named);
      const functionName = key === undefined ? named : (names.get(key) ?? named);
      let response;
      try {
        response = await client.send(new InvokeCommand({
          FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event) ?? 'null', 'utf8'),
        }));
      } catch (error) {
        if (error instanceof ResourceNotFoundException) {
          throw new UnknownFunctionError(`no function ${reference} on serverless offline (${endpoint}): ${error.message}; known: ${[...names].map(([k, n]) => `${k} (${n})`).join(', ')}`, { cause: error });
        }
        throw new ServerlessOfflineInvokeError(`invoking ${functionName} on ${endpoint} failed: ${(error as Error).message}`, { cause: error });
      }
      const text = Buffer.from(response.Payload ?? new Uint8Array()).toString('utf8');
      let payload: unknown = null;
      if (text.length > 0) {
        try {
          payload = JSON.parse(text) as unknown;
        } catch (error) {
          throw new ServerlessOfflineInvokeError(`${functionName} answered a payload that is not JSON: ${text.slice(0, 200)}`, { cause: error });
        }
      }
      if (response.FunctionError) {
        const body = (payload ?? {}) as { errorType?: unknown; errorMessage?: unknown; trace?: unknown };
        throw new LambdaFunctionError(
          functionName, response.FunctionError,
          typeof body.errorType === 'string' ? body.errorType : 'Error',
          typeof body.errorMessage === 'string' ? body.errorMessage : text,
          Array.isArray(body.trace) ? body.trace.map(String) : [],
        );
      }
      return payload;
    };

    return { endpoint, pid, command, functionNames: names, invoke, output: tail, stop };
  } catch (error) {
    // stop() releases the lock once the process started; before that, release it here (idempotent).
    await release();
    throw error;
  }
}

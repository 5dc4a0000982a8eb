import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { createHandler } from '../../../functions/firehose-csv-to-json';
import { ReingestError } from '../../../lib/firehose/reingest';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from '../../../lib/firehose/transformation-contract';
import sampleEvent from '../../../events/firehose-csv-to-json.json';
import { RecordingReingester, fromBase64 } from '../../support/firehose';

const event = sampleEvent as FirehoseTransformationEvent;

const context = {
  functionName: 'shardline-test-firehoseCsvToJson',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:shardline-test-firehoseCsvToJson',
  memoryLimitInMB: '512',
  awsRequestId: 'request-0001',
  logGroupName: '/aws/lambda/shardline-test-firehoseCsvToJson',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

const ENV_KEYS = ['POWERTOOLS_DEV', 'POWERTOOLS_METRICS_DISABLED', 'POWERTOOLS_LOG_LEVEL'] as const;
const savedEnv: Partial<Record<(typeof ENV_KEYS)[number], string | undefined>> = {};

interface Harness {
  handler: ReturnType<typeof createHandler>;
  reingester: RecordingReingester;
  logger: Logger;
  metrics: Metrics;
  warn: jest.SpyInstance;
  addMetric: jest.SpyInstance;
  /** EMF documents printed by Metrics (dev mode prints them with the global console). */
  emf: () => Record<string, unknown>[];
  reingesterFor: jest.Mock;
}

function harness(options: { reingester?: RecordingReingester; responseBudgetBytes?: number } = {}): Harness {
  const reingester = options.reingester ?? new RecordingReingester();
  // Constructed after the environment is set: Powertools reads it in the constructor.
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'test', serviceName: 'test' });
  const warn = jest.spyOn(logger, 'warn');
  const addMetric = jest.spyOn(metrics, 'addMetric');
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  const reingesterFor = jest.fn(() => reingester);
  const handler = createHandler({ reingesterFor, logger, metrics, ...(options.responseBudgetBytes ? { responseBudgetBytes: options.responseBudgetBytes } : {}) });
  const emf = (): Record<string, unknown>[] =>
    log.mock.calls
      .map((args: unknown[]) => (typeof args[0] === 'string' ? args[0] : ''))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { handler, reingester, logger, metrics, warn, addMetric, emf, reingesterFor };
}

const invoke = (h: Harness, e: FirehoseTransformationEvent = event): Promise<FirehoseTransformationResult> =>
  h.handler(e, context);

beforeEach(() => {
  for (const key of ENV_KEYS) savedEnv[key] = process.env[key];
  process.env.POWERTOOLS_DEV = 'true';
  // Dev mode disables metrics unless this says otherwise.
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
});

afterEach(() => {
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
  jest.restoreAllMocks();
});

describe('firehose-csv-to-json handler on events/firehose-csv-to-json.json', () => {
  test('answers each record: 4 Ok, Dropped, 2 ProcessingFailed, Ok — ids in order', async () => {
    const response = await invoke(harness());
    expect(response.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
    expect(response.records.map((r) => r.result)).toEqual(['Ok', 'Ok', 'Ok', 'Ok', 'Dropped', 'ProcessingFailed', 'ProcessingFailed', 'Ok']);
    const count = (result: string): number => response.records.filter((r) => r.result === result).length;
    expect([count('Ok'), count('Dropped'), count('ProcessingFailed')]).toEqual([5, 1, 2]);
  });

  test('Ok records become typed NDJSON in UTC with partition keys', async () => {
    const response = await invoke(harness());
    const lines = (i: number): Record<string, unknown>[] => {
      const text = fromBase64(response.records[i]!.data);
      expect(text.endsWith('\n')).toBe(true);
      return text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    };

    const first = {
      event_id: 'c567fbb5-522e-453a-90ae-8dae18aefd9f',
      user_id: 'u-441',
      session_id: 's-441-997580',
      event_type: 'page_view',
      page_url: 'https://shop.example.com/help?topic="returns"',
      referrer: 'https://www.google.com/',
      device: 'tablet',
      country: 'US',
      timestamp: '2026-11-25T22:00:00.262Z', // 2026-11-26T00:00:00.262+02:00
      duration_ms: 39367,
      revenue: null,
    };
    expect(lines(0)).toEqual([first]);
    // CRLF record of three rows; the second has an empty referrer.
    const crlf = lines(1);
    expect(crlf).toHaveLength(3);
    expect(crlf[0]).toEqual(first);
    expect(crlf[1]).toMatchObject({ user_id: 'u-4135', referrer: null, revenue: null, timestamp: '2026-11-25T22:00:01.111Z', duration_ms: 115756 });
    expect(crlf[2]).toMatchObject({ user_id: 'u-338', referrer: 'https://t.co/abc', timestamp: '2026-11-25T22:00:01.301Z', duration_ms: 59175 });
    // A BOM before the same row changes nothing.
    expect(lines(2)).toEqual([first]);
    // No trailing newline in the input.
    expect(lines(3)).toEqual([expect.objectContaining({ event_type: 'add_to_cart', timestamp: '2026-11-25T22:00:01.857Z', duration_ms: 86062 })]);
    // +0530 and -05:00 offsets.
    expect(lines(7).map((r) => r.timestamp)).toEqual(['2026-11-25T22:00:02.393Z', '2026-11-25T22:00:02.486Z']);

    for (const line of [...lines(0), ...crlf, ...lines(3), ...lines(7)]) {
      expect(typeof line.duration_ms).toBe('number');
      expect(line.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }
    expect(response.records.map((r) => r.metadata?.partitionKeys)).toEqual([
      { event_type: 'page_view', dt: '2026-11-25' },
      { event_type: 'page_view', dt: '2026-11-25' },
      { event_type: 'page_view', dt: '2026-11-25' },
      { event_type: 'add_to_cart', dt: '2026-11-25' },
      undefined,
      undefined,
      undefined,
      { event_type: 'page_view', dt: '2026-11-25' },
    ]);
  });

  test('Dropped has no data; ProcessingFailed keeps the original base64 and is logged', async () => {
    const h = harness();
    const response = await invoke(h);
    expect(response.records[4]).toEqual({ recordId: event.records[4]!.recordId, result: 'Dropped', data: '' });
    expect(response.records[5]!.data).toBe(event.records[5]!.data);
    expect(response.records[6]!.data).toBe(event.records[6]!.data);
    const failures = h.warn.mock.calls.filter((args: unknown[]) => args[0] === 'Record failed transformation').map((args: unknown[]) => args[1]);
    expect(failures).toEqual([
      { recordId: event.records[5]!.recordId, line: 1, column: null, reason: 'expected 11 columns, found 10' },
      { recordId: event.records[6]!.recordId, line: 1, column: 'country', reason: 'must match pattern "^[A-Z]{2}$", got "usa"' },
    ]);
  });

  test('nothing is re-ingested for this event; the reingester is chosen per event', async () => {
    const h = harness();
    await invoke(h);
    expect(h.reingesterFor).toHaveBeenCalledTimes(1);
    expect(h.reingesterFor).toHaveBeenCalledWith(event);
    expect(h.reingester.calls).toHaveLength(0);
  });

  test('metrics: RecordsOk=5, RecordsDropped=1, RecordsProcessingFailed=2 are added and published as EMF', async () => {
    const h = harness();
    const response = await invoke(h);
    const added = Object.fromEntries(h.addMetric.mock.calls.map((args: unknown[]) => [args[0] as string, args[2] as number]));
    expect(added).toEqual({
      RecordsOk: 5,
      RecordsDropped: 1,
      RecordsProcessingFailed: 2,
      RecordsReingested: 0,
      RowsOk: 8,
      ResponseBytes: Buffer.byteLength(JSON.stringify(response)),
    });
    const [emf, ...more] = h.emf();
    expect(more).toHaveLength(0);
    expect(emf).toMatchObject({ service: 'test', RecordsOk: 5, RecordsDropped: 1, RecordsProcessingFailed: 2, RowsOk: 8 });
    const aws = emf!._aws as { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string; Unit: string }[] }[] };
    expect(aws.CloudWatchMetrics[0]!.Namespace).toBe('test');
    expect(aws.CloudWatchMetrics[0]!.Metrics).toEqual(expect.arrayContaining([{ Name: 'RecordsOk', Unit: 'Count' }, { Name: 'ResponseBytes', Unit: 'Bytes' }]));
  });

  test('metrics are per invocation: a second invocation publishes its own counts', async () => {
    const h = harness();
    await invoke(h);
    await invoke(h, { ...event, records: event.records.slice(4, 6) });
    const docs = h.emf();
    expect(docs).toHaveLength(2);
    expect(docs[1]).toMatchObject({ RecordsOk: 0, RecordsDropped: 1, RecordsProcessingFailed: 1 });
  });

  test('a small response budget: overflow is re-ingested before answering, and counted', async () => {
    const h = harness({ responseBudgetBytes: 2_000 });
    const response = await invoke(h);
    expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThanOrEqual(2_000);
    const overflowed = response.records.flatMap((r, i) => (r.result === 'Dropped' && i !== 4 ? [i] : []));
    expect(overflowed.length).toBeGreaterThan(0);
    expect(h.reingester.records.map((r) => Buffer.from(r.data).toString('base64'))).toEqual(overflowed.map((i) => event.records[i]!.data));
    expect(h.emf()[0]).toMatchObject({ RecordsReingested: overflowed.length, RecordsDropped: 1 + overflowed.length });
  });

  test('a re-ingestion failure fails the invocation (Firehose retries the batch)', async () => {
    const failure = new ReingestError('delivery stream shardline-dev-clickstream', [], 6);
    const h = harness({ reingester: new RecordingReingester(failure), responseBudgetBytes: 2_000 });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    await expect(invoke(h)).rejects.toBe(failure);
    expect(h.reingester.calls).toHaveLength(1);
    // The counts are added only after a successful batch: a failed invocation publishes none.
    expect(h.addMetric).not.toHaveBeenCalled();
    expect(h.emf()).toHaveLength(0);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('No application metrics to publish'));
  });
});

/**
 * The real-time half end to end on the embedded emulators, through serverless.yml's event source
 * mappings: producer (KPL aggregation) and IoT rule → kinesalite → both consumers → DynamoDB Local
 * and the local OpenSearch, with poison records, duplicates, a corrupt aggregate, throttling from
 * OpenSearch and each consumer crashing mid-batch once. Every valid reading must be in each sink
 * exactly once in effect, every poison record in each failure destination, nothing discarded —
 * and replaying the whole stream must change nothing.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import { scanAll } from '../../lib/aws/scan-all';
import { KinesisEventSource } from '../../lib/local/esm/kinesis-event-source';
import type { LocalRuntime } from '../../lib/local/runtime';
import { startLocalRuntime } from '../../lib/local/runtime';
import type { TelemetryReport } from '../../lib/pipeline/telemetry-pipeline';
import { runTelemetryPipeline } from '../../lib/pipeline/telemetry-pipeline';
import { objectsUnder } from '../../lib/pipeline/s3-objects';

const CONSUMERS = ['kinesisToDynamodb', 'kinesisToOpensearch'] as const;
let runtime: LocalRuntime;
/** Consumers still to crash once, half-way through a batch. */
const crashPending = new Set<string>(CONSUMERS);
const crashed: string[] = [];

beforeAll(async () => {
  runtime = await startLocalRuntime({
    // The injected crash: the function writes the first half of its batch, then dies (as on a
    // timeout or an out-of-memory kill) without answering. Lambda must retry, and the sinks must
    // absorb the half that was written twice.
    interceptInvoke: async (reference, event, invoke) => {
      const key = runtime.functions.keyOf(reference);
      const records = (event as Partial<KinesisStreamEvent>).Records;
      if (crashPending.has(key) && records && records.length >= 4) {
        crashPending.delete(key);
        await invoke(reference, { Records: records.slice(0, Math.floor(records.length / 2)) });
        crashed.push(key);
        throw new Error('Runtime.ExitError: the function crashed mid-batch (injected)');
      }
      return invoke(reference, event);
    },
  });
}, 180_000);

afterAll(async () => {
  await runtime?.stop();
}, 60_000);

let report: TelemetryReport;

it('puts every valid reading exactly once in each sink and every poison record in each failure destination', async () => {
  const opensearch = runtime.opensearch!;
  const throttled = opensearch.faults.failBulkItems({ count: 40, status: 429 });
  const unavailable = opensearch.faults.failRequests({ count: 1, status: 503, match: { path: '/_bulk' } });
  report = await runTelemetryPipeline(runtime, { readings: 1500, devices: 20, seed: 11, badEvery: 60, duplicateEvery: 25, viaIotEvery: 10, aggregate: true });

  expect(report.problems).toEqual([]);
  expect(crashed.sort()).toEqual([...CONSUMERS]);
  expect(throttled.fired).toBe(40);
  expect(unavailable.fired).toBe(1);
  // The input really had every kind of trouble in it.
  expect(report.injected.duplicates).toBe(60);
  expect(report.injected.notJson + report.injected.outOfRange + report.injected.unknownField).toBe(25);
  expect(report.injected.corruptAggregates).toBe(1);
  expect(report.messages.iot).toBe(150);
  expect(report.producer.kinesisRecordsWritten).toBeLessThan(report.producer.userRecordsWritten / 5);
  // Counted independently of the pipeline's own checks.
  expect(report.expected.readings).toBe(1500);
  expect(report.dynamodb).toEqual({ readings: 1500, devices: 20, minutes: report.expected.minutes, aggregatedReadings: 1500 });
  expect(report.opensearch.documents).toBe(1500);
  for (const consumer of report.consumers) {
    expect(consumer.poisonObjects).toBe(26);
    expect(consumer.poisonByKind).toEqual({ invalid: 25, undecodable: 1 });
    expect(consumer.mapping.failedInvocations).toBeGreaterThanOrEqual(1);
    expect(consumer.mapping.recordsDiscarded).toBe(0);
  }
}, 300_000);

/** A table's items in key order, for comparing snapshots. */
async function scan(table: string): Promise<Record<string, AttributeValue>[]> {
  const key = (item: Record<string, AttributeValue>): string => JSON.stringify([item.device_id, item.timestamp, item.minute]);
  return (await scanAll(runtime.clients.dynamodb(), table)).sort((a, b) => key(a).localeCompare(key(b)));
}

it('changes nothing when both consumers replay the whole stream from its start', async () => {
  expect(report).toBeDefined();
  const environment = (key: string, variable: string): string => (runtime.service.functions?.[key] as { environment: Record<string, string> }).environment[variable]!;
  const tables = ['READINGS_TABLE', 'DEVICE_STATE_TABLE', 'MINUTE_AGGREGATES_TABLE'].map((v) => environment('kinesisToDynamodb', v));
  const before = await Promise.all(tables.map(scan));
  const poisonBefore = await Promise.all(CONSUMERS.map((key) => objectsUnder(runtime.clients.s3(), environment(key, 'FAILURE_BUCKET'), environment(key, 'FAILURE_PREFIX'))));
  const opensearch = runtime.opensearch!;
  const indices = opensearch.indices();
  const documents = (): [string, unknown][] => indices.flatMap((index) => opensearch.documents(index).map((d): [string, unknown] => [d._id, d._source])).sort(([a], [b]) => a.localeCompare(b));
  const documentsBefore = documents();

  // A new mapping per consumer (as after re-creating it at TRIM_HORIZON): every record again.
  for (const mapping of runtime.mappings.kinesis.filter((m) => (CONSUMERS as readonly string[]).includes(runtime.functions.keyOf(m.config.functionArn)))) {
    const replay = new KinesisEventSource({ ...mapping.config, startingPosition: 'TRIM_HORIZON' }, runtime.clients.kinesis(), runtime.clients.sqs(), (arn, event) => runtime.functions.invoke(arn, event));
    await replay.drain();
    expect(replay.stats.recordsDiscarded).toBe(0);
    expect(replay.stats.recordsProcessed).toBeGreaterThan(0);
  }

  expect(await Promise.all(tables.map(scan))).toEqual(before);
  const poisonAfter = await Promise.all(CONSUMERS.map((key) => objectsUnder(runtime.clients.s3(), environment(key, 'FAILURE_BUCKET'), environment(key, 'FAILURE_PREFIX'))));
  expect(poisonAfter.map((objects) => objects.map((o) => o.key))).toEqual(poisonBefore.map((objects) => objects.map((o) => o.key)));
  // Re-indexed with the same ids and the same sources: the same documents (versions move on).
  expect(opensearch.indices()).toEqual(indices);
  expect(documents()).toEqual(documentsBefore);
  expect(documentsBefore).toHaveLength(report.expected.readings);
}, 300_000);

/**
 * CPU time per telemetry record through each Kinesis consumer handler as deployed (middy,
 * Powertools, de-aggregation, schema validation, the sink's request building and response
 * handling), with the stores answered in-process — what the function itself costs, without the
 * network. The goal: one 128 MB Lambda (≈ 1/14 of a vCPU) keeps up with a saturated shard
 * (1,000 records/s), i.e. under 70 µs per record on one full core. The baseline, measured in the
 * same run: base64 decode + JSON.parse of the same records, the work no consumer can avoid.
 */
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { createHandler as createDynamoDbHandler } from '../../functions/kinesis-to-dynamodb';
import { createHandler as createOpenSearchHandler } from '../../functions/kinesis-to-opensearch';
import type { AwsClients } from '../../lib/aws/clients';
import { generateTelemetry } from '../../lib/datasets/telemetry';
import { aggregate } from '../../lib/kinesis/aggregation';
import { createLogger, createMetrics } from '../../lib/observability/powertools';
import type { IndexTemplateApi, OpenSearchBulkApi } from '../../lib/sinks/opensearch';
import type { BenchResult } from '../harness';
import { result } from '../harness';

const GOAL_US_PER_RECORD = 70;
const BATCH = 500;

/** A batch as the event source mapping delivers it: `BATCH` Kinesis records, plain or each a KPL aggregate of `perAggregate` readings. */
function telemetryEvent(seed: number, perAggregate: number): { event: KinesisStreamEvent; userRecords: number; readingJson: Buffer[] } {
  const readings = [...generateTelemetry(BATCH * perAggregate, { seed, devices: 50 })];
  const Records = Array.from({ length: BATCH }, (_, i) => {
    const group = readings.slice(i * perAggregate, (i + 1) * perAggregate);
    const data = perAggregate === 1
      ? Buffer.from(JSON.stringify(group[0]))
      : aggregate(group.map((r) => ({ partitionKey: r.device_id, data: Buffer.from(JSON.stringify(r)) })));
    const sequenceNumber = `4965${String(seed * 1_000_000 + i).padStart(52, '0')}`;
    return {
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: group[0]!.device_id, sequenceNumber, data: data.toString('base64'), approximateArrivalTimestamp: 1_795_000_000 + i / 1000 },
      eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `shardId-000000000000:${sequenceNumber}`, eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/bench', awsRegion: 'eu-west-1', eventSourceARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/bench',
    };
  });
  return { event: { Records }, userRecords: readings.length, readingJson: readings.map((r) => Buffer.from(JSON.stringify(r))) };
}

/** DynamoDB answering every call at once, as if every write succeeded and no aggregate existed yet. */
function instantDynamoDb(): AwsClients['dynamodb'] {
  const client = {
    send: (command: { constructor: { name: string } }): Promise<unknown> => {
      switch (command.constructor.name) {
        case 'BatchWriteItemCommand': return Promise.resolve({ UnprocessedItems: {} });
        case 'BatchGetItemCommand': return Promise.resolve({ Responses: {}, UnprocessedKeys: {} });
        default: return Promise.resolve({});
      }
    },
  };
  return () => client as unknown as ReturnType<AwsClients['dynamodb']>;
}

/** OpenSearch answering `_bulk` with a 201 per document, as a real response is shaped. */
function instantOpenSearch(): OpenSearchBulkApi & IndexTemplateApi {
  const api = {
    bulk: (params: { body: string }) => {
      const body = params.body;
      const items: unknown[] = [];
      for (let at = 0; (at = body.indexOf('{"index":', at)) !== -1; at++) items.push({ index: { _index: 'x', _id: 'x', _version: 1, result: 'created', status: 201, _seq_no: 0, _primary_term: 1 } });
      return Promise.resolve({ body: { took: 1, errors: false, items }, statusCode: 200, headers: {}, meta: {} });
    },
    indices: { putIndexTemplate: () => Promise.resolve({ body: { acknowledged: true }, statusCode: 200, headers: {}, meta: {} }) },
  };
  return api as unknown as OpenSearchBulkApi & IndexTemplateApi;
}

const ENV = {
  READINGS_TABLE: 'readings', DEVICE_STATE_TABLE: 'state', MINUTE_AGGREGATES_TABLE: 'aggregates',
  FAILURE_BUCKET: 'bucket', FAILURE_PREFIX: 'failed/', OPENSEARCH_INDEX_PREFIX: 'telemetry', OPENSEARCH_ENDPOINT: 'http://unused', AWS_REGION: 'eu-west-1',
};

/** CPU µs (user + system) per user record over `rounds` invocations, after a warm-up. */
async function cpuMicrosPerRecord(run: (round: number) => Promise<unknown>, userRecords: number, rounds: number): Promise<number> {
  for (let i = 0; i < 3; i++) await run(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.cpuUsage();
    await run(i);
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / userRecords);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

export async function kinesisConsumersSuite(): Promise<BenchResult[]> {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
  const noPoison = { send: () => Promise.reject(new Error('no poison record expected in the benchmark batches')) };
  const clients = { dynamodb: instantDynamoDb(), s3: () => noPoison } as unknown as AwsClients;
  const handlers = {
    'kinesis-to-dynamodb': createDynamoDbHandler({ clients, env: ENV, logger: createLogger('bench'), metrics: createMetrics('bench') }),
    'kinesis-to-opensearch': createOpenSearchHandler({ clients, env: ENV, openSearch: instantOpenSearch(), logger: createLogger('bench'), metrics: createMetrics('bench') }),
  };
  const results: BenchResult[] = [];
  for (const [shape, perAggregate] of [['plain', 1], ['aggregated', 10]] as const) {
    // Distinct batches per round (different readings, so no sink shortcut from repetition).
    const events = Array.from({ length: 8 }, (_, i) => telemetryEvent(i + 1, perAggregate));
    const userRecords = events[0]!.userRecords;
    const floor = await cpuMicrosPerRecord((round) => {
      const { event, readingJson } = events[(round + 8) % 8]!;
      let bytes = 0;
      for (const record of event.Records) bytes += Buffer.from(record.kinesis.data, 'base64').length;
      for (const json of readingJson) bytes += Object.keys(JSON.parse(json.toString('utf8')) as object).length;
      return Promise.resolve(bytes);
    }, userRecords, 15);
    for (const [name, handler] of Object.entries(handlers)) {
      const micros = await cpuMicrosPerRecord(async (round) => {
        const response = await handler(events[(round + 8) % 8]!.event, context);
        if (response.batchItemFailures.length > 0) throw new Error(`${name}: unexpected batch item failures`);
      }, userRecords, 15);
      results.push(result(`kinesis-consumers: ${name}, ${shape} records, CPU µs per record (goal < ${GOAL_US_PER_RECORD})`, micros, 'µs', GOAL_US_PER_RECORD));
      results.push(result(`kinesis-consumers: ${name}, ${shape} records, × floor (base64 + JSON.parse)`, micros, 'µs', floor));
    }
  }
  return results;
}

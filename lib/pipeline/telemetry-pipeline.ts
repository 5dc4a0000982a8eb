/**
 * The real-time half of the main job, offline: generated device telemetry enters the telemetry
 * stream through the KPL-style producer (aggregated, keyed by device) and through the IoT topic
 * rule, with duplicates and poison records mixed in; the two consumers load it into DynamoDB and
 * OpenSearch through serverless.yml's event source mappings. It then takes stock of every sink
 * and failure destination and proves the outcome is exactly the expected one.
 */
import { performance } from 'node:perf_hooks';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { scanAll } from '../aws/scan-all';
import { KinesisProducer } from '../kinesis/producer/kinesis-producer';
import type { ProducerReport } from '../kinesis/producer/report';
import type { LocalRuntime } from '../local/runtime';
import type { KinesisMappingStats } from '../local/esm/kinesis-event-source';
import { createOpenSearchClient } from '../sinks/opensearch';
import type { InjectedTelemetryFaults, TelemetryInputOptions } from './telemetry-records';
import { buildTelemetryInput } from './telemetry-records';
import { objectsUnder } from './s3-objects';

export interface TelemetryPipelineOptions extends TelemetryInputOptions {
  /** KPL aggregation in the producer (default true). */
  readonly aggregate?: boolean;
  readonly onProgress?: (event: { phase: 'produce' | 'settle'; done: number; total: number }) => void;
}

/** One consumer's side of the run. */
export interface ConsumerStock {
  readonly function: string;
  readonly mapping: KinesisMappingStats;
  /** Poison records in the function's failure prefix. */
  readonly poisonObjects: number;
  readonly poisonByKind: Readonly<Record<string, number>>;
  readonly failurePrefix: string;
}

export interface TelemetryReport {
  readonly stream: string;
  readonly messages: { readonly producer: number; readonly iot: number; readonly raw: number };
  readonly injected: InjectedTelemetryFaults;
  readonly producer: ProducerReport;
  readonly iot: LocalRuntime['iot']['stats'];
  readonly expected: { readonly readings: number; readonly devices: number; readonly minutes: number; readonly poisonRecords: number };
  readonly dynamodb: { readonly readings: number; readonly devices: number; readonly minutes: number; readonly aggregatedReadings: number };
  readonly opensearch: { readonly documents: number; readonly indices: number };
  readonly consumers: readonly ConsumerStock[];
  readonly bucket: string;
  readonly seconds: number;
  /** Empty when every record is accounted for. */
  readonly problems: readonly string[];
}

const FUNCTIONS = { dynamodb: 'kinesisToDynamodb', opensearch: 'kinesisToOpensearch' } as const;

export async function runTelemetryPipeline(runtime: LocalRuntime, options: TelemetryPipelineOptions): Promise<TelemetryReport> {
  const environment = (key: string): Readonly<Record<string, unknown>> =>
    ((runtime.service.functions?.[key] as { environment?: Record<string, unknown> } | undefined)?.environment ?? {});
  const text = (key: string, variable: string): string => {
    const value = environment(key)[variable];
    if (typeof value !== 'string') throw new Error(`serverless.yml: functions.${key}.environment.${variable} must be a literal string`);
    return value;
  };
  const mappingOf = (key: string) => {
    const mapping = runtime.mappings.kinesis.find((m) => runtime.functions.keyOf(m.config.functionArn) === key);
    if (!mapping) throw new Error(`serverless.yml declares no Kinesis event source for ${key}`);
    return mapping;
  };
  const dynamodbMapping = mappingOf(FUNCTIONS.dynamodb);
  const opensearchMapping = mappingOf(FUNCTIONS.opensearch);
  const stream = dynamodbMapping.config.streamName;
  if (opensearchMapping.config.streamName !== stream) throw new Error('the two consumers read different streams');

  const input = buildTelemetryInput(options);
  const started = performance.now();
  const producer = new KinesisProducer({ client: runtime.clients.kinesis(), streamName: stream, aggregate: options.aggregate ?? true });
  let done = 0;
  const total = input.messages.length + input.rawRecords.length;
  for (const message of input.messages) {
    if (message.route === 'iot') await runtime.iot.publish(`devices/${message.deviceId}/telemetry`, message.data, { clientId: message.deviceId });
    else await producer.put(message.data, { partitionKey: message.deviceId });
    if (++done % 500 === 0) options.onProgress?.({ phase: 'produce', done, total });
  }
  for (const record of input.rawRecords) {
    await runtime.clients.kinesis().send(new PutRecordCommand({ StreamName: stream, PartitionKey: record.partitionKey, Data: record.data }));
    done++;
  }
  const produced = await producer.close();
  options.onProgress?.({ phase: 'produce', done: total, total });
  // Consuming: Kinesis records each consumer has finished with, out of those written.
  const written = produced.kinesisRecordsWritten + runtime.iot.stats.actionsSucceeded + input.rawRecords.length;
  const consumed = (): number => dynamodbMapping.stats.recordsProcessed + dynamodbMapping.stats.recordsDiscarded + opensearchMapping.stats.recordsProcessed + opensearchMapping.stats.recordsDiscarded;
  const report = (): void => options.onProgress?.({ phase: 'settle', done: Math.min(consumed(), 2 * written), total: 2 * written });
  report();
  const ticker = setInterval(report, 500);
  try {
    await runtime.settle();
  } finally {
    clearInterval(ticker);
  }
  report();
  const seconds = (performance.now() - started) / 1000;

  // Stock-taking, sink by sink.
  const dynamodb = runtime.clients.dynamodb();
  const readings = await scanAll(dynamodb, text(FUNCTIONS.dynamodb, 'READINGS_TABLE'));
  const states = await scanAll(dynamodb, text(FUNCTIONS.dynamodb, 'DEVICE_STATE_TABLE'));
  const aggregates = await scanAll(dynamodb, text(FUNCTIONS.dynamodb, 'MINUTE_AGGREGATES_TABLE'));
  if (!runtime.opensearch) throw new Error('serverless.yml declares no OpenSearch domain');
  const search = createOpenSearchClient({ endpoint: runtime.opensearch.endpoint, region: runtime.service.provider.region ?? 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const prefix = text(FUNCTIONS.opensearch, 'OPENSEARCH_INDEX_PREFIX');
  await search.indices.refresh({ index: `${prefix}-*` });
  const documents = (await search.count({ index: `${prefix}-*` })).body.count;
  const indices = Object.keys((await search.indices.get({ index: `${prefix}-*` })).body).length;
  await search.close();

  const bucket = text(FUNCTIONS.dynamodb, 'FAILURE_BUCKET');
  const consumers: ConsumerStock[] = [];
  for (const [key, mapping] of [[FUNCTIONS.dynamodb, dynamodbMapping], [FUNCTIONS.opensearch, opensearchMapping]] as const) {
    const failurePrefix = text(key, 'FAILURE_PREFIX');
    const poison = await objectsUnder(runtime.clients.s3(), text(key, 'FAILURE_BUCKET'), failurePrefix);
    const poisonByKind: Record<string, number> = {};
    for (const object of poison) {
      const kind = (JSON.parse(object.body.toString('utf8')) as { reason: { kind: string } }).reason.kind;
      poisonByKind[kind] = (poisonByKind[kind] ?? 0) + 1;
    }
    consumers.push({ function: key, mapping: { ...mapping.stats }, poisonObjects: poison.length, poisonByKind, failurePrefix });
  }

  const { expected } = input;
  const problems: string[] = [];
  const check = (ok: boolean, problem: string): void => {
    if (!ok) problems.push(problem);
  };
  check(produced.userRecordsFailed === 0, `the producer could not write ${produced.userRecordsFailed} records: ${produced.failures[0]?.errorCode ?? ''}`);
  check(runtime.iot.stats.actionsFailed === 0 && runtime.iot.stats.sqlErrors === 0, `IoT rule: ${runtime.iot.stats.actionsFailed} failed actions, ${runtime.iot.stats.sqlErrors} SQL errors`);
  check(readings.length === expected.readings, `readings table holds ${readings.length} items, expected ${expected.readings} unique valid readings`);
  check(documents === expected.readings, `OpenSearch holds ${documents} documents, expected ${expected.readings}`);
  const newest = new Map(states.map((item) => [item.device_id?.S ?? '', item.timestamp?.S ?? '']));
  check(newest.size === expected.devices, `device state table holds ${newest.size} devices, expected ${expected.devices}`);
  for (const [device, timestamp] of expected.newest) {
    if (newest.get(device) !== timestamp) {
      problems.push(`device ${device}: state is at ${newest.get(device) ?? 'nothing'}, expected its newest reading ${timestamp}`);
      break;
    }
  }
  const perMinute = new Map(aggregates.map((item) => [`${item.device_id?.S}|${item.minute?.S}`, Number(item.count?.N ?? 0)]));
  check(perMinute.size === expected.perMinute.size, `aggregates table holds ${perMinute.size} device-minutes, expected ${expected.perMinute.size}`);
  for (const [key, count] of expected.perMinute) {
    if (perMinute.get(key) !== count) {
      problems.push(`aggregate ${key}: count ${perMinute.get(key) ?? 'missing'}, expected ${count}`);
      break;
    }
  }
  for (const consumer of consumers) {
    check(consumer.poisonObjects === expected.poisonRecords, `${consumer.function}: ${consumer.poisonObjects} poison records in s3://${bucket}/${consumer.failurePrefix}, expected ${expected.poisonRecords}`);
    check(consumer.mapping.recordsDiscarded === 0, `${consumer.function}: ${consumer.mapping.recordsDiscarded} records discarded to the on-failure destination`);
  }
  return {
    stream,
    messages: { producer: input.messages.filter((m) => m.route === 'producer').length, iot: input.messages.filter((m) => m.route === 'iot').length, raw: input.rawRecords.length },
    injected: input.injected,
    producer: produced,
    iot: { ...runtime.iot.stats },
    expected: { readings: expected.readings, devices: expected.devices, minutes: expected.perMinute.size, poisonRecords: expected.poisonRecords },
    dynamodb: { readings: readings.length, devices: newest.size, minutes: perMinute.size, aggregatedReadings: [...perMinute.values()].reduce((a, b) => a + b, 0) },
    opensearch: { documents, indices },
    consumers,
    bucket,
    seconds,
    problems,
  };
}

/**
 * `npm run pipeline`: the main job, offline, on the embedded emulators — the clickstream half
 * (Firehose → S3 → Parquet) and the real-time half (producer and IoT rule → Kinesis → DynamoDB
 * and OpenSearch), on one local runtime. Thin over lib/pipeline: options, progress bars, and
 * tables of where every row and record went.
 */
import { Command, InvalidArgumentError } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import { startLocalRuntime } from '../local/runtime';
import type { PipelineOptions, PipelineReport } from '../pipeline/clickstream-pipeline';
import { runClickstreamPipeline } from '../pipeline/clickstream-pipeline';
import type { TelemetryReport } from '../pipeline/telemetry-pipeline';
import { runTelemetryPipeline } from '../pipeline/telemetry-pipeline';
import type { QueuesReport } from '../pipeline/queues-pipeline';
import { runQueuesPipeline } from '../pipeline/queues-pipeline';
import type { CdcReport } from '../pipeline/cdc-pipeline';
import { runCdcPipeline } from '../pipeline/cdc-pipeline';
import { hotShardSummary } from '../kinesis/producer/report';
import { positiveInt } from './arguments';

interface CliOptions extends PipelineOptions {
  readonly readings: number;
  readonly devices: number;
  readonly duplicateEvery: number;
  readonly viaIotEvery: number;
  readonly aggregate: boolean;
  readonly votes: number;
  readonly ledgerEntries: number;
  readonly accounts: number;
  readonly cdcTransactions: number;
  readonly only?: Half;
}

const HALVES = ['clickstream', 'telemetry', 'queues', 'cdc'] as const;
type Half = (typeof HALVES)[number];

const half = (value: string): Half => {
  if (!(HALVES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${HALVES.join(', ')}`);
  return value as Half;
};

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;

function printClickstream(report: PipelineReport): void {
  const where = new Table({ head: ['', 'objects', 'rows / records', 'bytes', 'where'], colAligns: ['left', 'right', 'right', 'right', 'left'] });
  where.push(
    ['in: CSV records put to Firehose', '', `${report.records} records, ${report.rowsIn} rows`, mb(report.bytesIn), 'PutRecordBatch'],
    ['raw zone (GZIP NDJSON, partitioned)', report.raw.objects, `${report.raw.items} rows`, mb(report.raw.bytes), `s3://${report.bucket}/raw/`],
    ['curated zone (Parquet, Snappy)', report.curated.objects, `${report.curated.items} rows`, mb(report.curated.bytes), `s3://${report.bucket}/curated/`],
    ['transform failures (AWS error records)', report.processingFailed.objects, `${report.processingFailed.items} records, ${report.processingFailed.rows} rows`, mb(report.processingFailed.bytes), `s3://${report.bucket}/processing-failed/`],
    ['bad lines for Parquet', report.curatedErrors.objects, `${report.curatedErrors.items} lines`, mb(report.curatedErrors.bytes), `s3://${report.bucket}/curated-errors/`],
  );
  console.log(where.toString());
  const firehose = report.firehose;
  console.log(`Firehose: ${firehose.invocations} transform invocations; ${firehose.ok} records delivered, ${firehose.dropped} dropped (blank, or split and re-ingested); failed by code ${JSON.stringify(firehose.failed)}`);
  console.log(`injected bad records: ${JSON.stringify(report.injected)}`);
  console.log(`${report.rowsIn} rows in ${report.seconds.toFixed(1)} s: ${Math.round(report.rowsIn / report.seconds).toLocaleString('en-US')} rows/s, ${(report.bytesIn / 1e6 / report.seconds).toFixed(2)} MB/s of CSV end to end`);
  const proof = new Table({ head: ['event_type', 'rows', 'revenue'], colAligns: ['left', 'right', 'right'] });
  for (const row of report.byEventType) proof.push([row.event_type, row.rows, row.revenue.toFixed(2)]);
  console.log('DuckDB over the curated Parquet: SELECT event_type, count(*), sum(revenue) … GROUP BY event_type');
  console.log(proof.toString());
}

function printTelemetry(report: TelemetryReport): void {
  const { producer, expected } = report;
  const hot = hotShardSummary(producer.shards);
  const input = new Table({ head: ['telemetry in', 'user records', 'Kinesis records', 'how'], colAligns: ['left', 'right', 'right', 'left'] });
  input.push(
    ['producer (KPL aggregation, key = device_id)', producer.userRecordsWritten, producer.kinesisRecordsWritten, `${producer.requests} PutRecords, ${producer.retriedKinesisRecords} retried, ${producer.userRecordsFailed} failed`],
    ['IoT rule devices/+/telemetry', report.iot.actionsSucceeded, report.iot.actionsSucceeded, `${report.iot.messages} messages published, partition key \${topic(2)}`],
    ['corrupt KPL aggregate (PutRecord)', report.messages.raw, report.messages.raw, 'bad MD5, injected'],
  );
  console.log(input.toString());
  const shards = new Table({ head: ['shard', 'user records', 'Kinesis records', 'bytes'], colAligns: ['left', 'right', 'right', 'right'] });
  for (const [shard, stats] of Object.entries(producer.shards).sort()) shards.push([shard, stats.userRecords, stats.kinesisRecords, stats.bytes]);
  console.log(shards.toString());
  console.log(`hottest shard ${hot.hottestShardId ?? '-'}: ${(hot.maxShare * 100).toFixed(1)} % of the producer's bytes (even: ${(hot.evenShare * 100).toFixed(1)} %)`);
  const out = new Table({ head: ['where', 'expected', 'found'], colAligns: ['left', 'right', 'right'] });
  out.push(
    ['DynamoDB readings (unique valid readings)', expected.readings, report.dynamodb.readings],
    ['DynamoDB device state (devices)', expected.devices, report.dynamodb.devices],
    ['DynamoDB per-minute aggregates (device-minutes)', expected.minutes, report.dynamodb.minutes],
    ['  readings counted in the aggregates', expected.readings, report.dynamodb.aggregatedReadings],
    [`OpenSearch documents (${report.opensearch.indices} daily indices)`, expected.readings, report.opensearch.documents],
    ...report.consumers.map((c) => [`poison records, s3://${report.bucket}/${c.failurePrefix}`, expected.poisonRecords, `${c.poisonObjects} ${JSON.stringify(c.poisonByKind)}`]),
    ...report.consumers.map((c) => [`${c.function}: batches discarded after retries`, 0, c.mapping.discardedBatches]),
  );
  console.log(out.toString());
  console.log(`injected: ${JSON.stringify(report.injected)}`);
  const invocations = report.consumers.map((c) => `${c.function} ${c.mapping.invocations} invocations (${c.mapping.failedInvocations} failed)`).join(', ');
  console.log(`${producer.userRecordsPut + report.iot.messages} user records in ${report.seconds.toFixed(1)} s through both consumers: ${invocations}`);
}

function printQueues(report: QueuesReport): void {
  const table = new Table({ head: ['where', 'expected', 'found'], colAligns: ['left', 'right', 'right'] });
  table.push(
    ['votes recorded (unique vote_id)', report.votes.unique, report.votes.recorded],
    ['votes counted in the tallies', report.votes.unique, report.votes.counted],
    [`votes DLQ (poison, after maxReceiveCount)`, report.votes.poison, report.queues[0]!.deadLetters],
    ['ledger entries applied (in order per account)', report.ledger.unique, report.ledger.applied],
    ['account balances exact to the cent', 'yes', report.ledger.balancesExact ? 'yes' : 'NO'],
    ['ledger DLQ (poison)', report.ledger.poison, report.queues[1]!.deadLetters],
  );
  console.log(table.toString());
  console.log(`queues: ${report.votes.duplicates} duplicate votes and ${report.ledger.duplicates} duplicate entries re-sent, ${report.votes.throughS3} votes through S3 as Extended Client pointers; ` +
    report.queues.map((q) => `${q.function} ${q.mapping.invocations} invocations, ${q.mapping.messagesDeleted} deleted, ${q.mapping.messagesFailed} failed deliveries`).join('; ') +
    `; ${report.seconds.toFixed(1)} s`);
}

function printCdc(report: CdcReport): void {
  const { before, during } = report.workload;
  console.log(`CDC source: ${before.committed + during.committed} committed transactions (${before.committed} before the capture, loaded; ${during.committed} during, streamed), ${before.rolledBack + during.rolledBack} rolled back`);
  console.log(`capture: ${report.capture.loadRows} rows loaded, ${report.capture.transactions} transactions / ${report.capture.changes} changes streamed → ${report.streamRecords} DMS records in the CDC stream, ${report.duplicates} put again as duplicates; cdc-replay: ${report.mapping.invocations} invocations (${report.mapping.failedInvocations} failed)`);
  const table = new Table({ head: ['table', 'PostgreSQL rows', 'DynamoDB items', 'differences'], colAligns: ['left', 'right', 'right', 'right'] });
  for (const t of report.tables) table.push([t.table, t.sourceRows, t.targetItems, t.differences]);
  console.log(table.toString());
  for (const difference of report.differences) console.log(`  ${JSON.stringify(difference)}`);
}

async function main(options: CliOptions): Promise<number> {
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const bar = new SingleBar({ format: '{phase} |{bar}| {value}/{total}', noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
  let phase = '';
  const labels: Record<string, string> = {
    put: 'clickstream: put records   ', settle: 'clickstream: flush + convert', produce: 'telemetry: produce         ', 'settle-telemetry': 'telemetry: consume         ',
    send: 'queues: send              ', work: 'queues: work              ',
    'cdc-capture': 'cdc: workload + capture    ', 'cdc-replay': 'cdc: replay               ',
  };
  const progress = (name: string, event: { done: number; total: number }): void => {
    if (name !== phase) {
      if (phase) bar.stop();
      phase = name;
      bar.start(event.total, event.done, { phase: labels[name] ?? name });
    }
    bar.update(event.done);
  };
  // Failed messages come back after 2 s instead of the declared 6× the function timeout.
  const runtime = await startLocalRuntime({ ...(options.viaServerlessOffline ? { invokeVia: 'serverless-offline' as const } : {}), queueVisibilityTimeoutSeconds: 2 });
  const runs = (which: Half): boolean => options.only === undefined || options.only === which;
  const problems: string[] = [];
  try {
    if (runs('clickstream')) {
      const report = await runClickstreamPipeline({ ...options, onProgress: (event) => progress(event.phase, event) }, runtime);
      bar.stop();
      phase = '';
      printClickstream(report);
      if (report.problems.length > 0) problems.push(...report.problems);
      else console.log(`clickstream conservation check: every row accounted for (${report.rowsIn} in = ${report.curated.items} in Parquet + ${report.curatedErrors.items} bad lines + ${report.processingFailed.rows} in processing-failed)`);
    }
    if (runs('telemetry')) {
      phase = '';
      const report = await runTelemetryPipeline(runtime, {
        readings: options.readings, devices: options.devices, seed: options.seed, badEvery: options.badEvery,
        duplicateEvery: options.duplicateEvery, viaIotEvery: options.viaIotEvery, aggregate: options.aggregate,
        onProgress: (event) => progress(event.phase === 'settle' ? 'settle-telemetry' : event.phase, event),
      });
      bar.stop();
      printTelemetry(report);
      if (report.problems.length > 0) problems.push(...report.problems);
      else console.log(`telemetry conservation check: every record accounted for (${report.expected.readings} unique valid readings in each sink, ${report.injected.duplicates} duplicates absorbed, ${report.expected.poisonRecords} poison records in each failure destination, nothing discarded)`);
    }
    if (runs('queues')) {
      phase = '';
      const report = await runQueuesPipeline(runtime, {
        votes: options.votes, ledgerEntries: options.ledgerEntries, accounts: options.accounts, seed: options.seed,
        badEvery: options.badEvery, duplicateEvery: options.duplicateEvery, throughS3Every: 50,
        onProgress: (event) => progress(event.phase, event),
      });
      bar.stop();
      printQueues(report);
      if (report.problems.length > 0) problems.push(...report.problems);
      else console.log(`queues conservation check: every message accounted for (${report.votes.unique} votes counted once, ${report.ledger.unique} ledger entries applied once in order, ${report.votes.poison + report.ledger.poison} poison messages in the DLQs)`);
    }
    if (runs('cdc')) {
      phase = '';
      const report = await runCdcPipeline(runtime, {
        initialTransactions: Math.ceil(options.cdcTransactions / 4), transactions: options.cdcTransactions, seed: options.seed, duplicateEvery: options.duplicateEvery,
        onProgress: (event) => progress(`cdc-${event.phase}`, event),
      });
      bar.stop();
      printCdc(report);
      if (report.problems.length > 0) problems.push(...report.problems);
      else console.log(`CDC proof: every row of every table in DynamoDB equals PostgreSQL (${report.tables.reduce((sum, t) => sum + t.sourceRows, 0)} rows, ${report.seconds.toFixed(1)} s)`);
    }
  } finally {
    bar.stop();
    await runtime.stop();
  }
  if (problems.length > 0) {
    console.error(`CONSERVATION CHECK FAILED:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  return 0;
}

const program = new Command('pipeline')
  .description('Run the Shardline pipeline offline on embedded emulators: CSV clickstream → Firehose → transform → S3 → Parquet, and device telemetry → Kinesis → DynamoDB + OpenSearch')
  .option('--rows <n>', 'rows of generated clickstream data', positiveInt, 20_000)
  .option('--seed <n>', 'seed of the generated data', positiveInt, 42)
  .option('--out <dir>', 'where the curated Parquet files are copied for the DuckDB query', 'out/pipeline')
  .option('--bad-every <n>', 'inject one bad record after every n records', positiveInt, 50)
  .option('--lines-per-record <n>', 'CSV lines per Firehose record, at most', positiveInt, 3)
  .option('--mixed-records', 'let a record mix event types (the transform then splits and re-ingests it)')
  .option('--readings <n>', 'telemetry readings generated', positiveInt, 10_000)
  .option('--devices <n>', 'devices in the generated fleet', positiveInt, 50)
  .option('--duplicate-every <n>', 'send every n-th reading twice, as a producer retry would', positiveInt, 40)
  .option('--via-iot-every <n>', 'publish every n-th reading through the IoT topic rule instead of the producer', positiveInt, 10)
  .option('--no-aggregate', 'put one Kinesis record per reading instead of KPL aggregates')
  .option('--votes <n>', 'votes sent through the standard queue', positiveInt, 3_000)
  .option('--ledger-entries <n>', 'ledger entries sent through the FIFO queue', positiveInt, 1_000)
  .option('--accounts <n>', 'accounts (FIFO message groups) of the ledger', positiveInt, 20)
  .option('--cdc-transactions <n>', 'transactions of the CDC workload while the capture streams (a quarter more before it, for the full load)', positiveInt, 400)
  .option('--only <part>', `run one part: ${HALVES.join(', ')}`, half)
  .option('--via-serverless-offline', "run the functions through serverless offline's Lambda endpoint instead of in-process")
  .action(async (options: CliOptions) => {
    process.exitCode = await main(options);
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

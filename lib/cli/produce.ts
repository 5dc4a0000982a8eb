/**
 * `npm run produce`: streams records into a Kinesis data stream through the KPL-like producer —
 * from a CSV file (typed by a dataset schema), an NDJSON file (lines passed through as they are),
 * or generated telemetry — and prints what landed on each shard and what failed. With `--local`
 * it starts an embedded kinesalite, creates the stream and reads it back, so it runs anywhere.
 *
 * Exit codes: 0 all written; 1 some records failed or input lines were invalid; 2 bad usage.
 */
import { createReadStream, createWriteStream, statSync, type WriteStream } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Presets, SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import { Command, Option } from 'commander';
import Papa from 'papaparse';
import { createAwsClients } from '../aws/clients';
import { generateTelemetry } from '../datasets/telemetry';
import { compileRowDecoder } from '../formats/csv/row-decoder';
import { hotShardSummary, KinesisProducer, partitionKeyStrategy, readStream, type ProducerFailure, type ProducerReport } from '../kinesis/producer';
import { listOpenShards, type StreamRef } from '../kinesis/shard-map';
import { startEmulators } from '../local/emulators';
import { getSchema } from '../schemas/registry';
import { UsageError, positiveInt } from './arguments';
import { createLocalStream } from '../local/emulators/local-stream';

interface CliOptions {
  readonly stream?: string;
  readonly file?: string;
  readonly format?: 'csv' | 'ndjson';
  readonly schema: string;
  readonly generate?: number;
  readonly devices: number;
  readonly seed: number;
  readonly aggregate: boolean;
  readonly partitionKey: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly local?: number | true;
  readonly failuresFile?: string;
}

/** One input record, or an input line that cannot be sent (counted, reported, never silently dropped). */
type InputItem =
  | { readonly ok: true; readonly data: string; readonly fields: Readonly<Record<string, unknown>> | undefined }
  | { readonly ok: false; readonly where: string; readonly reason: string };

/** Where the input comes from, and how far along it is (for the progress bar). */
interface Input {
  readonly items: AsyncIterable<InputItem> | Iterable<InputItem>;
  readonly total: number;
  readonly unit: 'records' | 'bytes';
  progress(): number;
}

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === 'object' && value !== null && !Array.isArray(value);

function generatedInput(count: number, devices: number, seed: number): Input {
  let done = 0;
  function* items(): Generator<InputItem> {
    for (const reading of generateTelemetry(count, { devices, seed })) {
      done++;
      yield { ok: true, data: JSON.stringify(reading), fields: reading as unknown as Readonly<Record<string, unknown>> };
    }
  }
  return { items: items(), total: count, unit: 'records', progress: () => done };
}

/**
 * A file to read as a stream, counting the bytes read for progress. `open()` is called by the
 * consumer: a 'data' listener attached earlier would start the flow before anyone reads it.
 */
function fileStream(path: string): { open: () => NodeJS.ReadableStream; total: number; read: () => number } {
  const total = statSync(path).size;
  let read = 0;
  const open = (): NodeJS.ReadableStream => createReadStream(path).on('data', (chunk: Buffer | string) => (read += chunk.length));
  return { open, total, read: () => read };
}

/** NDJSON: every non-blank line must parse as JSON; it is sent exactly as written. */
function ndjsonInput(path: string, needsFields: boolean): Input {
  const file = fileStream(path);
  async function* items(): AsyncGenerator<InputItem> {
    let lineNumber = 0;
    for await (const raw of createInterface({ input: file.open(), crlfDelay: Infinity })) {
      lineNumber++;
      const line = lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        yield { ok: false, where: `line ${lineNumber}`, reason: `not JSON: ${(error as Error).message}` };
        continue;
      }
      if (needsFields && !isObject(value)) {
        yield { ok: false, where: `line ${lineNumber}`, reason: 'not a JSON object (the partition key is read from a field)' };
        continue;
      }
      yield { ok: true, data: line, fields: isObject(value) ? value : undefined };
    }
  }
  return { items: items(), total: file.total, unit: 'bytes', progress: file.read };
}

/**
 * CSV with a header row: columns are matched to the schema's by name (any order), each row is
 * typed and validated by the schema, and sent as a JSON object. Parsed as a stream (papaparse),
 * so quoted fields may span lines and the file is never read whole.
 */
function csvInput(path: string, schemaName: string): Input {
  const schema = getSchema(schemaName);
  const decode = compileRowDecoder(schema);
  const file = fileStream(path);
  async function* items(): AsyncGenerator<InputItem> {
    const rows = file.open().pipe(Papa.parse(Papa.NODE_STREAM_INPUT, { delimiter: ',', skipEmptyLines: 'greedy' }));
    let order: number[] | undefined;
    let rowNumber = 0;
    for await (const row of rows as AsyncIterable<string[]>) {
      rowNumber++;
      if (!order) {
        const header = row.map((name, i) => (i === 0 ? name.replace(/^\uFEFF/, '') : name).trim());
        const missing = schema.columns.filter((c) => !header.includes(c.name)).map((c) => c.name);
        const unknown = header.filter((name) => !schema.columns.some((c) => c.name === name));
        if (missing.length > 0 || unknown.length > 0) {
          throw new UsageError(`${path}: the header does not match schema "${schemaName}"` + (missing.length ? `; missing: ${missing.join(', ')}` : '') + (unknown.length ? `; unknown: ${unknown.join(', ')}` : ''));
        }
        order = schema.columns.map((c) => header.indexOf(c.name));
        continue;
      }
      if (row.length !== order.length) {
        yield { ok: false, where: `row ${rowNumber}`, reason: `expected ${order.length} columns, found ${row.length}` };
        continue;
      }
      const decoded = decode(order.map((i) => row[i]!));
      if (!decoded.ok) {
        yield { ok: false, where: `row ${rowNumber}`, reason: decoded.error.column ? `${decoded.error.column}: ${decoded.error.reason}` : decoded.error.reason };
        continue;
      }
      yield { ok: true, data: JSON.stringify(decoded.row), fields: decoded.row };
    }
  }
  return { items: items(), total: file.total, unit: 'bytes', progress: file.read };
}

function openInput(options: CliOptions): Input {
  if ((options.file === undefined) === (options.generate === undefined)) throw new UsageError('give exactly one of --file <path> and --generate <n>');
  if (options.generate !== undefined) return generatedInput(options.generate, options.devices, options.seed);
  const path = options.file!;
  const format = options.format ?? (extname(path).toLowerCase() === '.csv' ? 'csv' : ['.ndjson', '.jsonl', '.json'].includes(extname(path).toLowerCase()) ? 'ndjson' : undefined);
  if (!format) throw new UsageError(`cannot tell the format of ${path} from its extension: pass --format csv|ndjson`);
  return format === 'csv' ? csvInput(path, options.schema) : ndjsonInput(path, options.partitionKey !== 'random');
}

/** Failures as NDJSON lines (payload in base64): to a file when asked, else to stderr. */
function failureLog(path: string | undefined): { write(failure: ProducerFailure): void; close(): Promise<void> } {
  const out: WriteStream | NodeJS.WriteStream = path ? createWriteStream(path) : process.stderr;
  return {
    write: (failure) => {
      out.write(JSON.stringify({ failed: { ...failure, data: failure.data.toString('base64') } }) + '\n');
    },
    close: () => (path ? new Promise<void>((resolve, reject) => (out as WriteStream).end((error?: Error | null) => (error ? reject(error) : resolve()))) : Promise.resolve()),
  };
}

function printReport(report: ProducerReport, shardCount: number, invalid: number, seconds: number): void {
  const shards = new Table({ head: ['shard', 'user records', 'Kinesis records', 'bytes', 'share'], colAligns: ['left', 'right', 'right', 'right', 'right'] });
  const totalBytes = report.kinesisBytesWritten || 1;
  for (const [shardId, stats] of Object.entries(report.shards)) shards.push([shardId, stats.userRecords, stats.kinesisRecords, stats.bytes, `${((stats.bytes / totalBytes) * 100).toFixed(1)} %`]);
  shards.push(['total', report.userRecordsWritten, report.kinesisRecordsWritten, report.kinesisBytesWritten, '']);
  console.log(shards.toString());
  const hot = hotShardSummary(report.shards, shardCount);
  console.log(`hot shard: ${hot.hottestShardId ?? '-'} took ${(hot.maxShare * 100).toFixed(1)} % of the bytes; even share ${(hot.evenShare * 100).toFixed(1)} % of ${shardCount} shards; ratio ${hot.ratio.toFixed(2)}`);
  const summary = new Table({ colAligns: ['left', 'right'] });
  summary.push(
    ['user records put', report.userRecordsPut],
    ['user records written', report.userRecordsWritten],
    ['user records failed', report.userRecordsFailed],
    ['invalid input lines (not put)', invalid],
    ['user payload bytes written', report.userBytesWritten],
    ['PutRecords requests', report.requests],
    ['Kinesis records retried', report.retriedKinesisRecords],
    ['throttled entries', report.throttledEntries],
    ['shard map refreshes (resharding)', report.shardMapRefreshes],
    ['seconds', seconds.toFixed(2)],
  );
  console.log(summary.toString());
  if (report.userRecordsFailed > 0) {
    const byCode = new Map<string, number>();
    for (const failure of report.failures) byCode.set(failure.errorCode, (byCode.get(failure.errorCode) ?? 0) + 1);
    const failures = new Table({ head: ['failure code', 'user records'], colAligns: ['left', 'right'] });
    for (const [code, count] of byCode) failures.push([code, count]);
    console.log(failures.toString());
  }
}

/** What landed on each shard, read back from the stream (local mode). */
async function printReadBack(kinesis: KinesisClient, stream: StreamRef): Promise<void> {
  const table = new Table({ head: ['shard (read back)', 'hash key range', 'Kinesis records', 'user records', 'aggregated'], colAligns: ['left', 'left', 'right', 'right', 'right'] });
  for (const { shard, kinesisRecords, userRecords } of await readStream(kinesis, stream)) {
    // As shares of the hash key space: the 39-digit keys themselves do not read well.
    const share = (key: bigint): string => `${(Number((key * 10_000n) >> 128n) / 100).toFixed(2)} %`;
    const range = `${share(shard.startingHashKey)} – ${share(shard.endingHashKey + 1n)}`;
    table.push([shard.shardId, range, kinesisRecords, userRecords.length, userRecords.filter((u) => u.aggregated).length]);
  }
  console.log(table.toString());
}

async function run(options: CliOptions): Promise<number> {
  const input = openInput(options);
  const localShards = options.local === undefined ? undefined : options.local === true ? 4 : options.local;
  const streamName = options.stream ?? (localShards !== undefined ? 'shardline-local-telemetry' : undefined);
  if (!streamName) throw new UsageError('--stream <name> is required (or --local)');
  const emulators = localShards !== undefined ? await startEmulators({ services: ['kinesis'] }) : undefined;
  const failures = failureLog(options.failuresFile);
  const bar = new SingleBar(
    { format: `{bar} {percentage}% | {value}/{total} ${input.unit} | written {written} failed {failed} invalid {invalid}`, stream: process.stderr, noTTYOutput: true, notTTYSchedule: 2000 },
    Presets.shades_classic,
  );
  try {
    const clients = emulators?.clients ?? createAwsClients({ ...(options.region ? { region: options.region } : {}), ...(options.endpoint ? { endpoints: { kinesis: options.endpoint } } : {}) });
    const kinesis = clients.kinesis();
    if (emulators && localShards !== undefined) await createLocalStream(kinesis, streamName, localShards);
    const stream: StreamRef = { streamName };
    const producer = new KinesisProducer({ client: kinesis, streamName, aggregate: options.aggregate, onFailure: (f) => failures.write(f), maxFailuresInReport: 10_000 });
    const keyOf = partitionKeyStrategy(options.partitionKey);
    const started = performance.now();
    let invalid = 0;
    bar.start(input.total, 0, { written: 0, failed: 0, invalid: 0 });
    const tick = setInterval(() => {
      const now = producer.snapshot();
      bar.update(input.progress(), { written: now.userRecordsWritten, failed: now.userRecordsFailed, invalid });
    }, 250);
    let report: ProducerReport;
    try {
      for await (const item of input.items) {
        if (!item.ok) {
          invalid++;
          process.stderr.write(JSON.stringify({ invalid: { where: item.where, reason: item.reason } }) + '\n');
          continue;
        }
        const partitionKey = keyOf(item.fields ?? {});
        if (partitionKey === undefined) {
          invalid++;
          process.stderr.write(JSON.stringify({ invalid: { where: item.data.slice(0, 80), reason: `no usable "${options.partitionKey}" field for the partition key` } }) + '\n');
          continue;
        }
        // Keys the producer refuses (empty, too long) land in its report's failures.
        await producer.put(item.data, { partitionKey });
      }
      report = await producer.close();
    } finally {
      clearInterval(tick);
    }
    bar.update(input.total, { written: report.userRecordsWritten, failed: report.userRecordsFailed, invalid });
    bar.stop();
    const seconds = (performance.now() - started) / 1000;
    const shardCount = await listOpenShards(kinesis, stream).then((s) => s.length, () => Object.keys(report.shards).length);
    printReport(report, shardCount, invalid, seconds);
    if (emulators) await printReadBack(kinesis, stream);
    if (report.userRecordsFailed > report.failures.length) console.error(`${report.userRecordsFailed - report.failures.length} failures beyond the report's limit were logged only`);
    return report.userRecordsFailed > 0 || invalid > 0 ? 1 : 0;
  } finally {
    bar.stop();
    await failures.close();
    await emulators?.stop();
  }
}

const program = new Command('produce')
  .description('Stream records into a Kinesis data stream with KPL aggregation (per shard), retries of failed entries, and a per-shard report')
  .option('--stream <name>', 'the stream to write to (default with --local: shardline-local-telemetry)')
  .option('--file <path>', 'CSV with a header row (typed by --schema) or NDJSON, one record per line')
  .addOption(new Option('--format <format>', 'format of --file (default: from its extension)').choices(['csv', 'ndjson']))
  .option('--schema <name>', 'schema typing CSV columns', 'telemetry')
  .option('--generate <n>', 'generate n telemetry readings instead of reading a file', positiveInt)
  .option('--devices <n>', 'devices in the generated fleet', positiveInt, 50)
  .option('--seed <n>', 'seed of the generated readings', positiveInt, 7)
  .option('--aggregate', 'KPL-aggregate user records per shard (default)', true)
  .option('--no-aggregate', 'one Kinesis record per user record')
  .option('--partition-key <field>', "the record field used as partition key, or 'random'", 'device_id')
  .option('--endpoint <url>', 'Kinesis endpoint (default: AWS_ENDPOINT_URL_KINESIS, else AWS)')
  .option('--region <region>', 'AWS region (default: the SDK’s)')
  .option('--local [shards]', 'start an embedded kinesalite, create the stream with this many shards (default 4), produce, and read it back', positiveInt)
  .option('--failures-file <path>', 'write failed records as NDJSON here instead of stderr')
  .action(async (options: CliOptions) => {
    process.exitCode = await run(options);
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`produce: ${error.message}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});

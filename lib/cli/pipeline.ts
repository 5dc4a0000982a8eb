/**
 * `npm run pipeline`: the main job, offline. Generates (or reads) a clickstream CSV file, puts
 * it through the Firehose CSV→JSON transform (the real handler, batched as Firehose batches),
 * writes what came out as Firehose would lay it out, and accounts for every row.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import Table from 'cli-table3';
import type { Context } from 'aws-lambda';
import { createHandler } from '../../functions/firehose-csv-to-json';
import { clickstreamCsv } from '../datasets/clickstream';
import { intBetween, seededRandom } from '../datasets/random';
import { formatCsvRows, parseCsvRows } from '../formats/csv/csv-rows';
import { createLogger, createMetrics } from '../observability/powertools';
import { runTransformLoop } from '../local/firehose/transform-loop';

interface Options { rows: number; seed: number; input?: string; out: string; badEvery: number; linesPerRecord: number; mixedRecords?: boolean }

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

/** Non-empty lines: rows of a record whose fields hold no line breaks (all generated data). */
const countLines = (data: Uint8Array | string): number => Buffer.from(data).toString('utf8').split('\n').filter((l) => l.trim() !== '').length;

const EVENT_TYPE = 3;

/**
 * Groups rows into Firehose records of 1..n lines, and mixes in the bad records a real feed has.
 * Like a producer that knows about dynamic partitioning, a record holds rows of one event type
 * unless `mixedRecords` asks for records the transform has to split and re-ingest.
 */
function toRecords(rows: string[][], options: Options): { records: Buffer[]; injected: { empty: number; wrongColumnCount: number; invalidValue: number } } {
  const random = seededRandom(options.seed + 1);
  const records: Buffer[] = [];
  const injected = { empty: 0, wrongColumnCount: 0, invalidValue: 0 };
  for (let i = 0; i < rows.length;) {
    const n = intBetween(random, 1, options.linesPerRecord);
    let end = i + 1;
    while (end < Math.min(i + n, rows.length) && (options.mixedRecords || rows[end]![EVENT_TYPE] === rows[i]![EVENT_TYPE])) end++;
    records.push(Buffer.from(formatCsvRows(rows.slice(i, end))));
    i = end;
    if (records.length % options.badEvery === 0) {
      const row = rows[i % rows.length]!;
      const kind = records.length / options.badEvery % 3;
      if (kind === 0) { records.push(Buffer.from('  \r\n')); injected.empty++; }
      else if (kind === 1) { records.push(Buffer.from(formatCsvRows([row.slice(0, -1)]))); injected.wrongColumnCount++; }
      else { records.push(Buffer.from(formatCsvRows([[...row.slice(0, 9), '-5', row[10]!]]))); injected.invalidValue++; }
    }
  }
  return { records, injected };
}

async function main(options: Options): Promise<number> {
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  rmSync(options.out, { recursive: true, force: true });
  const inputPath = options.input ?? join(options.out, 'input', 'clickstream.csv');
  if (!options.input) {
    mkdirSync(dirname(inputPath), { recursive: true });
    writeFileSync(inputPath, clickstreamCsv(options.rows, { seed: options.seed }));
  }
  const parsed = parseCsvRows(readFileSync(inputPath, 'utf8'));
  if (!parsed.ok) throw new Error(`${inputPath}: row ${parsed.error.row}: ${parsed.error.reason}`);
  const { records, injected } = toRecords(parsed.rows, options);
  const rowsIn = records.reduce((sum, r) => sum + countLines(r), 0);
  const bytesIn = records.reduce((sum, r) => sum + r.length, 0);

  const bar = new SingleBar({ format: 'transform |{bar}| {value}/{total} records | round {round}', noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
  bar.start(records.length, 0, { round: 1 });
  const logger = createLogger('pipeline');
  const metrics = createMetrics('pipeline');
  const context = { functionName: 'firehoseCsvToJson', awsRequestId: 'local', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
  const started = performance.now();
  const result = await runTransformLoop(records, (reingester) => {
    const handler = createHandler({ logger, metrics, reingesterFor: () => reingester });
    return (event) => handler(event, context);
  }, {
    deliveryStreamName: 'shardline-local-clickstream',
    onInvocation: ({ records: n, round }) => {
      if (round > 1) bar.setTotal(bar.getTotal() + n);
      bar.increment(n, { round });
    },
  });
  const seconds = (performance.now() - started) / 1000;
  bar.stop();

  // Lay the output out as Firehose would in S3 (raw/<partition>/…, processing-failed/…).
  let rowsDelivered = 0, bytesOut = 0;
  const partitions = new Table({ head: ['partition', 'rows', 'bytes'], colAligns: ['left', 'right', 'right'] });
  for (const [partition, payloads] of [...result.delivered].sort(([a], [b]) => a.localeCompare(b))) {
    const body = Buffer.concat(payloads);
    const rows = countLines(body);
    rowsDelivered += rows;
    bytesOut += body.length;
    const file = join(options.out, 'raw', partition, 'part-00000.ndjson');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, body);
    partitions.push([partition, rows, body.length]);
  }
  const failedFile = join(options.out, 'processing-failed', 'processing-failed', 'part-00000.jsonl');
  mkdirSync(dirname(failedFile), { recursive: true });
  writeFileSync(failedFile, result.failed.map((f) => JSON.stringify(f) + '\n').join(''));
  const rowsFailed = result.failed.reduce((sum, f) => sum + countLines(Buffer.from(f.rawData, 'base64')), 0);

  const { counts } = result;
  const summary = new Table({ head: ['', 'records', 'rows', 'where'], colAligns: ['left', 'right', 'right', 'left'] });
  summary.push(
    ['in', records.length, rowsIn, relative(process.cwd(), inputPath)],
    ['delivered (Ok)', counts.ok, rowsDelivered, relative(process.cwd(), join(options.out, 'raw'))],
    ['dropped (blank)', counts.droppedBlank, 0, '-'],
    ['processing failed', counts.processingFailed, rowsFailed, relative(process.cwd(), failedFile)],
    ['dropped and re-ingested (split by partition, or response overflow)', counts.droppedWithData, '', `as ${counts.reingested} records, delivered above`],
  );
  console.log(summary.toString());
  console.log(partitions.toString());
  console.log(`injected bad records: ${JSON.stringify(injected)}`);
  console.log(`${counts.invocations} invocations in ${counts.rounds} round(s); ${(bytesIn / 1e6).toFixed(2)} MB CSV in, ${(bytesOut / 1e6).toFixed(2)} MB JSON out; ` +
    `${Math.round(rowsIn / seconds).toLocaleString('en-US')} rows/s (${(bytesIn / 1e6 / seconds).toFixed(1)} MB/s)`);
  const sample = result.delivered.values().next().value?.[0]?.toString('utf8').split('\n')[0];
  if (sample) console.log(`sample: ${sample}`);

  const expectedFailed = injected.wrongColumnCount + injected.invalidValue;
  const problems = [
    rowsIn === rowsDelivered + rowsFailed ? '' : `rows in (${rowsIn}) ≠ delivered (${rowsDelivered}) + failed (${rowsFailed})`,
    counts.processingFailed === expectedFailed ? '' : `processing-failed records ${counts.processingFailed} ≠ injected bad records ${expectedFailed}`,
    counts.droppedBlank === injected.empty ? '' : `blank records dropped ${counts.droppedBlank} ≠ injected blank records ${injected.empty}`,
  ].filter(Boolean);
  if (problems.length > 0) {
    console.error(`CONSERVATION CHECK FAILED:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  console.log(`conservation check: every row accounted for (${rowsIn} in = ${rowsDelivered} delivered + ${rowsFailed} in processing-failed)`);
  return 0;
}

const program = new Command('pipeline')
  .description('Run the Shardline pipeline offline: CSV clickstream → Firehose transform → partitioned NDJSON')
  .option('--rows <n>', 'rows of generated clickstream data', positiveInt, 20_000)
  .option('--seed <n>', 'seed of the generated data', positiveInt, 42)
  .option('--input <file>', 'a clickstream CSV file (no header) instead of generated data')
  .option('--out <dir>', 'where to write the output', 'out/pipeline')
  .option('--bad-every <n>', 'inject one bad record after every n records', positiveInt, 50)
  .option('--lines-per-record <n>', 'CSV lines per Firehose record, at most', positiveInt, 3)
  .option('--mixed-records', 'let a record mix event types (the transform then splits and re-ingests it)')
  .action(async (options: Options) => { process.exitCode = await main(options); });

program.parseAsync().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

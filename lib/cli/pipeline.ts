/**
 * `npm run pipeline`: the main job, offline, on the embedded emulators. Thin over
 * lib/pipeline: options, a progress bar, and tables of where every row went.
 */
import { Command, InvalidArgumentError } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import type { PipelineOptions, PipelineReport } from '../pipeline/clickstream-pipeline';
import { runClickstreamPipeline } from '../pipeline/clickstream-pipeline';

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;

function print(report: PipelineReport): void {
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

async function main(options: PipelineOptions): Promise<number> {
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const bar = new SingleBar({ format: '{phase} |{bar}| {value}/{total}', noTTYOutput: true, notTTYSchedule: 2000 }, Presets.shades_classic);
  let phase = '';
  const report = await runClickstreamPipeline({
    ...options,
    onProgress: (event) => {
      if (event.phase !== phase) {
        if (phase) bar.stop();
        phase = event.phase;
        bar.start(event.total, event.done, { phase: event.phase === 'put' ? 'put records   ' : 'flush + convert' });
      }
      bar.update(event.done);
    },
  });
  bar.stop();
  print(report);
  if (report.problems.length > 0) {
    console.error(`CONSERVATION CHECK FAILED:\n  ${report.problems.join('\n  ')}`);
    return 1;
  }
  console.log(`conservation check: every row accounted for (${report.rowsIn} in = ${report.curated.items} in Parquet + ${report.curatedErrors.items} bad lines + ${report.processingFailed.rows} in processing-failed)`);
  return 0;
}

const program = new Command('pipeline')
  .description('Run the Shardline pipeline offline: CSV clickstream → Firehose → transform → S3 → Parquet, on embedded emulators')
  .option('--rows <n>', 'rows of generated clickstream data', positiveInt, 20_000)
  .option('--seed <n>', 'seed of the generated data', positiveInt, 42)
  .option('--out <dir>', 'where the curated Parquet files are copied for the DuckDB query', 'out/pipeline')
  .option('--bad-every <n>', 'inject one bad record after every n records', positiveInt, 50)
  .option('--lines-per-record <n>', 'CSV lines per Firehose record, at most', positiveInt, 3)
  .option('--mixed-records', 'let a record mix event types (the transform then splits and re-ingests it)')
  .option('--via-serverless-offline', "run the functions through serverless offline's Lambda endpoint instead of in-process")
  .action(async (options: PipelineOptions) => {
    process.exitCode = await main(options);
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

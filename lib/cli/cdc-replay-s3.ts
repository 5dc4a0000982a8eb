/**
 * `npm run cdc:replay-s3`: replays an AWS DMS S3 target folder (full-load and CDC CSV files)
 * into DynamoDB, one table per source table, through the same applier as the cdc-replay Lambda:
 * ordered per row, idempotent, monotonic. Resumable: a checkpoint records the last file applied
 * completely; run the same command again after an interruption and it goes on from there.
 *
 * With `--local [dir]` it starts embedded S3 (fauxqs) and DynamoDB Local, uploads `dir` (a DMS
 * folder: `<schema>/<table>/LOAD….csv`, `<schema>/<table>/2026….csv`) — or, without `dir`, a
 * generated demo history of the `shop` source — creates the target tables, replays, and (for the
 * demo) checks every table against the source rows.
 *
 * Exit codes: 0 replayed; 1 changes rejected, files skipped, or the replay stalled; 2 bad usage;
 * 130 interrupted (the checkpoint holds; run again to resume).
 */
import { readdir, readFile } from 'node:fs/promises';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTableCommand, UpdateTimeToLiveCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Presets, SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import { Command, Option } from 'commander';
import { scanAll } from '../aws/scan-all';
import { createAwsClients, type AwsClients } from '../aws/clients';
import type { DeleteMode } from '../cdc/apply';
import { CDC_EXPIRES_AT, DynamoDbChangeApplier, parseTableMapping, sourceTableSpecs, targetKeyDefinition, targetTableResolver } from '../cdc/apply';
import { compareTable } from '../cdc/proof/compare-tables';
import type { DmsCsvSettings, ReplayReport, ShopHistory } from '../cdc/replay';
import { CheckpointMismatchError, DEMO_CSV_SETTINGS, demoDmsFolder, FileCheckpointStore, normalisePrefix, replayDmsS3Folder, ReplayStalledError, BadDmsFileError, S3CheckpointStore, shopHistory } from '../cdc/replay';
import { shopTables } from '../cdc/source-tables';
import { startEmulators } from '../local/emulators';
import { UsageError, positiveInt } from './arguments';

interface CliOptions {
  readonly bucket?: string;
  readonly prefix: string;
  readonly endpoint?: string;
  readonly s3Endpoint?: string;
  readonly dynamodbEndpoint?: string;
  readonly region?: string;
  readonly local?: string | true;
  readonly demoTransactions: number;
  readonly tablePrefix?: string;
  readonly tableMapping?: string;
  readonly deletes: DeleteMode;
  readonly createTables?: boolean;
  readonly checkpoint?: string;
  readonly checkpointS3?: string;
  readonly fromStart?: boolean;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly timestampColumn?: string;
  readonly includeOpForFullLoad?: boolean;
  readonly cdcInsertsOnly?: boolean;
  readonly addColumnName?: boolean;
  readonly csvDelimiter?: string;
  readonly csvNullValue?: string;
  readonly beforeImageKeyColumns?: boolean;
  readonly rejectedFile: string;
  readonly skipBadFiles?: boolean;
}

const LOCAL_BUCKET = 'shardline-local-dms';

/** `s3://bucket/key` → its parts. */
function s3Location(url: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match) throw new UsageError(`--checkpoint-s3 must look like s3://bucket/key, got ${url}`);
  return { bucket: match[1]!, key: match[2]! };
}

/** Every file under `dir`, as keys relative to it (with `/`). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/')).sort();
}

async function uploadFolder(s3: S3Client, bucket: string, prefix: string, files: readonly { key: string; body: string | Buffer }[]): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const file of files) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${file.key}`, Body: file.body }));
}

/** Creates the target table of every source table that has none yet (TTL on the tombstones' attribute in tombstone mode). */
async function createTargetTables(dynamodb: DynamoDBClient, tableOf: (schema: string, table: string) => string, deletes: DeleteMode): Promise<string[]> {
  const created: string[] = [];
  for (const table of shopTables.tables.keys()) {
    const name = tableOf(shopTables.schema, table);
    const { KeySchema, AttributeDefinitions } = targetKeyDefinition(sourceTableSpecs(shopTables.schema, table)!);
    try {
      await dynamodb.send(new CreateTableCommand({ TableName: name, KeySchema: [...KeySchema], AttributeDefinitions: [...AttributeDefinitions], BillingMode: 'PAY_PER_REQUEST' }));
    } catch (error) {
      if ((error as Error).name === 'ResourceInUseException') continue;
      throw error;
    }
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 120 }, { TableName: name });
    if (deletes === 'tombstone') await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: CDC_EXPIRES_AT, Enabled: true } }));
    created.push(name);
  }
  return created;
}

/** Rejected changes as NDJSON lines, in a file opened on the first one. */
function rejectedLog(path: string): { write(line: unknown): void; count(): number; close(): Promise<void> } {
  let out: WriteStream | undefined;
  let count = 0;
  return {
    write: (line) => {
      out ??= createWriteStream(path);
      out.write(`${JSON.stringify(line)}\n`);
      count++;
    },
    count: () => count,
    close: () => (out ? new Promise<void>((resolve, reject) => out!.end((error?: Error | null) => (error ? reject(error) : resolve()))) : Promise.resolve()),
  };
}

function printReport(report: ReplayReport, applier: DynamoDbChangeApplier): void {
  const tables = new Table({ head: ['source table', 'files', 'changes', 'load', 'insert', 'update', 'delete', 'rejected'], colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'] });
  for (const t of report.tables) tables.push([t.table, t.files, t.changes, t.loads, t.inserts, t.updates, t.deletes, t.rejected]);
  console.log(tables.toString());
  const stats = applier.totalStats();
  const summary = new Table({ colAligns: ['left', 'right'] });
  summary.push(
    ['files planned', report.filesPlanned],
    ['files skipped (checkpoint of an earlier run)', report.filesSkipped],
    ['files applied', report.filesApplied],
    ['files not readable (skipped)', report.badFiles.length],
    ['keys that are not DMS data files', report.ignoredKeys.length],
    ['changes read and applied', report.changesApplied],
    ['changes rejected', report.rejected],
    ['items put', stats.itemsPut],
    ['items deleted', stats.itemsDeleted],
    ['tombstones written', stats.tombstonesWritten],
    ['writes already applied or superseded (condition failed)', stats.conditionalNoOps],
    ['changes folded into a newer one of the same row', stats.supersededInBatch],
    ['throttled requests retried', stats.throttledRequests],
    ['seconds', report.seconds.toFixed(2)],
    ['changes per second', report.seconds > 0 ? Math.round(report.changesApplied / report.seconds) : '-'],
  );
  console.log(summary.toString());
  if (report.checkpoint) console.log(`checkpoint: last applied ${report.checkpoint.lastAppliedKey} (file ${report.checkpoint.planIndex + 1} of ${report.filesPlanned})`);
}

/** The demo's proof: every target table against the rows the source holds at the end. */
async function verifyDemo(dynamodb: DynamoDBClient, tableOf: (schema: string, table: string) => string, history: ShopHistory): Promise<boolean> {
  const table = new Table({ head: ['target table', 'source rows', 'live items', 'differences'], colAligns: ['left', 'right', 'right', 'right'] });
  let same = true;
  for (const [name, source] of shopTables.tables) {
    const items = await scanAll(dynamodb, tableOf(shopTables.schema, name));
    const differences = compareTable(source, [...(history.rows.get(name)?.values() ?? [])], items);
    same &&= differences.length === 0;
    table.push([tableOf(shopTables.schema, name), history.rows.get(name)?.size ?? 0, items.filter((i) => i._cdc_deleted?.BOOL !== true).length, differences.length]);
    for (const difference of differences.slice(0, 5)) console.error(JSON.stringify(difference));
  }
  console.log(table.toString());
  console.log(same ? 'every target table holds exactly the source rows' : 'the target tables DIFFER from the source rows');
  return same;
}

async function run(options: CliOptions): Promise<number> {
  const local = options.local !== undefined;
  const bucket = options.bucket ?? (local ? LOCAL_BUCKET : undefined);
  if (!bucket) throw new UsageError('--bucket <name> is required (or --local)');
  if (local && (options.endpoint || options.s3Endpoint || options.dynamodbEndpoint)) throw new UsageError('--local starts its own emulators: leave out the endpoints');
  if (options.checkpoint && options.checkpointS3) throw new UsageError('give at most one of --checkpoint and --checkpoint-s3');
  const prefix = normalisePrefix(options.prefix);
  const emulators = local ? await startEmulators({ services: ['s3', 'dynamodb'] }) : undefined;
  const rejected = rejectedLog(options.rejectedFile);
  const bar = new SingleBar(
    { format: '{bar} {percentage}% | {value}/{total} bytes | files {files}/{filesTotal} | changes {changes} | {file}', stream: process.stderr, noTTYOutput: true, notTTYSchedule: 2000 },
    Presets.shades_classic,
  );
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const clients: AwsClients = emulators?.clients ?? createAwsClients({
      ...(options.region ? { region: options.region } : {}),
      endpoints: {
        ...(options.s3Endpoint ?? options.endpoint ? { s3: options.s3Endpoint ?? options.endpoint } : {}),
        ...(options.dynamodbEndpoint ?? options.endpoint ? { dynamodb: options.dynamodbEndpoint ?? options.endpoint } : {}),
      },
    });
    const s3 = clients.s3();
    const dynamodb = clients.dynamodb();
    const mapping = options.tableMapping ?? process.env.CDC_TABLE_MAPPING;
    const tableOf = targetTableResolver({ prefix: options.tablePrefix ?? process.env.CDC_TARGET_TABLE_PREFIX ?? (local ? 'local-cdc-' : ''), ...(mapping ? { mapping: parseTableMapping(mapping) } : {}) });

    let history: ShopHistory | undefined;
    let csv: DmsCsvSettings = {
      ...(options.timestampColumn ? { timestampColumn: options.timestampColumn } : {}),
      ...(options.includeOpForFullLoad ? { includeOpForFullLoad: true } : {}),
      ...(options.cdcInsertsOnly ? { cdcInsertsOnly: true } : {}),
      ...(options.addColumnName ? { addColumnName: true } : {}),
      ...(options.csvDelimiter !== undefined ? { csvDelimiter: options.csvDelimiter } : {}),
      ...(options.csvNullValue !== undefined ? { csvNullValue: options.csvNullValue } : {}),
      ...(options.beforeImageKeyColumns ? { beforeImageKeyColumns: true } : {}),
    };
    if (local) {
      if (typeof options.local === 'string') {
        const keys = await filesUnder(options.local);
        await uploadFolder(s3, bucket, prefix, await Promise.all(keys.map(async (key) => ({ key, body: await readFile(join(options.local as string, key)) }))));
        console.error(`uploaded ${keys.length} files from ${options.local} to s3://${bucket}/${prefix} (embedded S3)`);
      } else {
        history = shopHistory({ seed: 42, transactions: options.demoTransactions });
        const files = demoDmsFolder(history.changes);
        await uploadFolder(s3, bucket, prefix, files);
        csv = DEMO_CSV_SETTINGS;
        console.error(`generated a DMS folder of ${history.changes.length} changes in ${files.length} files at s3://${bucket}/${prefix} (embedded S3)`);
      }
    }
    if (local || options.createTables) {
      const created = await createTargetTables(dynamodb, tableOf, options.deletes);
      if (created.length > 0) console.error(`created target tables: ${created.join(', ')}`);
    }

    // The embedded emulators start empty every time: so does a --local run's checkpoint, kept in their S3.
    const checkpoint = options.checkpointS3 || (local && !options.checkpoint)
      ? new S3CheckpointStore({ s3, ...s3Location(options.checkpointS3 ?? `s3://${bucket}/.cdc-replay/checkpoint.json`) })
      : new FileCheckpointStore(options.checkpoint ?? join('.cdc-replay', bucket, `${prefix.replace(/\/$/, '').replace(/[^A-Za-z0-9._-]+/g, '_') || '_root'}.checkpoint.json`));
    const applier = new DynamoDbChangeApplier({
      client: dynamodb,
      targetTableOf: tableOf,
      deletes: options.deletes,
      concurrency: options.concurrency,
      onControlChange: ({ change, action }) => console.error(`${change.operation} of ${change.schema}.${change.table}: ${action}`),
    });
    console.error(`checkpoint: ${checkpoint.location}${options.fromStart ? ' (ignored: --from-start)' : ''}`);
    let barStarted = false;
    const report = await replayDmsS3Folder({
      s3, bucket, prefix, sink: applier, checkpoint, csv,
      fromStart: options.fromStart ?? false,
      batchSize: options.batchSize,
      skipBadFiles: options.skipBadFiles ?? false,
      signal: abort.signal,
      onProgress: (p) => {
        const payload = { files: p.filesDone, filesTotal: p.filesTotal, changes: p.changesApplied, file: p.currentFile ?? '' };
        if (!barStarted) {
          bar.start(p.bytesTotal, p.bytesDone, payload);
          barStarted = true;
        } else {
          bar.update(p.bytesDone, payload);
        }
      },
      onRejected: ({ fileKey, change, code, message }) => rejected.write({ fileKey, code, message, change }),
      onBadFile: (file, error) => rejected.write({ fileKey: file.key, code: error.name, message: error.message }),
    });
    bar.stop();
    printReport(report, applier);
    if (rejected.count() > 0) console.error(`${rejected.count()} rejected changes or unreadable files written to ${options.rejectedFile}`);
    if (!report.completed) {
      console.error('interrupted: the checkpoint holds; run the same command again to resume');
      return 130;
    }
    const same = history ? await verifyDemo(dynamodb, tableOf, history) : true;
    return report.rejected > 0 || report.badFiles.length > 0 || !same ? 1 : 0;
  } catch (error) {
    bar.stop();
    if (error instanceof ReplayStalledError || error instanceof BadDmsFileError || error instanceof CheckpointMismatchError) {
      console.error(`cdc:replay-s3: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await rejected.close();
    await emulators?.stop();
  }
}

const program = new Command('cdc:replay-s3')
  .description('Replay an AWS DMS S3 target folder (full load + CDC CSV files) into DynamoDB: one table per source table, monotonic per row, resumable')
  .option('--bucket <name>', `the DMS target bucket (default with --local: ${LOCAL_BUCKET})`)
  .option('--prefix <folder>', "the endpoint's BucketFolder (the folder holding <schema>/<table>/)", '')
  .option('--endpoint <url>', 'one endpoint for S3 and DynamoDB (e.g. a local runtime)')
  .option('--s3-endpoint <url>', 'S3 endpoint (default: AWS_ENDPOINT_URL_S3, else AWS)')
  .option('--dynamodb-endpoint <url>', 'DynamoDB endpoint (default: AWS_ENDPOINT_URL_DYNAMODB, else AWS)')
  .option('--region <region>', 'AWS region (default: the SDK’s)')
  .option('--local [dir]', 'start embedded S3 and DynamoDB Local, upload dir (a DMS folder) or a generated demo, create the tables, replay')
  .option('--demo-transactions <n>', 'transactions of the generated demo history (--local without dir)', positiveInt, 300)
  .option('--table-prefix <prefix>', 'target tables are <prefix><schema>-<table> (default: CDC_TARGET_TABLE_PREFIX)')
  .option('--table-mapping <json>', 'overrides, {"schema.table": "table name"} (default: CDC_TABLE_MAPPING)')
  .addOption(new Option('--deletes <mode>', 'what a delete leaves: tombstone (strictly monotonic) or remove').choices(['tombstone', 'remove']).default('tombstone'))
  .option('--create-tables', 'create missing target tables from the source schema (schemas/cdc/)')
  .option('--checkpoint <path>', 'local checkpoint file (default .cdc-replay/<bucket>/<prefix>.checkpoint.json; with --local, an object in the embedded S3)')
  .option('--checkpoint-s3 <url>', 'keep the checkpoint as an S3 object instead: s3://bucket/key')
  .option('--from-start', 'ignore the checkpoint and replay every file (harmless: writes are conditional)')
  .option('--batch-size <n>', 'changes per applier call', positiveInt, 500)
  .option('--concurrency <n>', 'rows written at once', positiveInt, 16)
  .option('--timestamp-column <name>', "the endpoint's TimestampColumnName (commit times: exact positions)")
  .option('--include-op-for-full-load', "the endpoint's IncludeOpForFullLoad")
  .option('--cdc-inserts-only', "the endpoint's CdcInsertsOnly")
  .option('--add-column-name', "the endpoint's AddColumnName (a header row)")
  .option('--csv-delimiter <c>', "the endpoint's CsvDelimiter")
  .option('--csv-null-value <text>', "the endpoint's CsvNullValue")
  .option('--before-image-key-columns', 'CDC files carry BI_<key column> columns (add-before-image-columns rule): primary-key updates retire the old key')
  .option('--rejected-file <path>', 'NDJSON of changes DynamoDB refused and files skipped', 'cdc-replay-rejected.ndjson')
  .option('--skip-bad-files', 'record unreadable files and go on (their changes are lost to the replay) instead of stopping')
  .action(async (options: CliOptions) => {
    process.exitCode = await run(options);
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`cdc:replay-s3: ${error.message}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});

/**
 * Replays an AWS DMS S3 target folder into the change applier: list the folder, plan it (every
 * table's full-load files first, then the CDC files in time order: lib/cdc/formats/dms-s3), then
 * file after file: read, parse, apply in batches. Resumable: after each file applied completely
 * the checkpoint records it, and a re-run starts after it (./checkpoint).
 *
 * What may fail, and where it ends:
 * - a change DynamoDB (or the applier) refuses for good: `onRejected`, counted; the replay goes on;
 * - a change still failing transiently after the applier's retries and `maxRounds` more rounds:
 *   the replay stops ({@link ReplayStalledError}); the file is not checkpointed, so the next run
 *   applies it again;
 * - a file that cannot be parsed (not DMS CSV, a Parquet file, a value that does not fit its
 *   column): the replay stops ({@link BadDmsFileError}), unless `skipBadFiles`, then
 *   `onBadFile` and counted — skipping loses that file's changes, so it is opt-in.
 */
import { gunzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { ChangeEvent, RowChange } from '../change-event';
import { ChangeFormatError } from '../change-event';
import type { DmsS3CsvOptions, DmsS3File } from '../formats/dms-s3';
import { listDmsS3Files, parseDmsS3Csv } from '../formats/dms-s3';
import { sourceTable } from '../source-tables';
import type { Sink, SinkFailure } from '../../sinks/sink';
import type { BackoffOptions } from '../../aws/backoff';
import { DEFAULT_BACKOFF, fullJitterDelayMs, sleep as realSleep } from '../../aws/backoff';
import type { CheckpointStore, ReplayCheckpoint } from './checkpoint';

/** The DMS S3 endpoint settings that shape the CSV files (see DmsS3CsvOptions). */
export type DmsCsvSettings = Pick<DmsS3CsvOptions, 'timestampColumn' | 'includeOpForFullLoad' | 'cdcInsertsOnly' | 'addColumnName' | 'csvDelimiter' | 'csvNullValue'> & {
  /**
   * The `add-before-image-columns` rule gave every table `BI_<column>` columns for its primary
   * key: updates then carry the old key, and a primary-key update retires the old row. Without
   * them a DMS CSV update names only the new key, and the old key's item stays.
   */
  readonly beforeImageKeyColumns?: boolean;
};

export interface ReplayDmsS3FolderOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** The DMS `BucketFolder` (with or without a trailing `/`); `''` for the bucket's root. */
  readonly prefix: string;
  /** Where changes go: a DynamoDbChangeApplier. */
  readonly sink: Sink<ChangeEvent>;
  readonly checkpoint: CheckpointStore;
  readonly csv?: DmsCsvSettings;
  /** Ignore the checkpoint and start with the first file (re-applying is harmless). */
  readonly fromStart?: boolean;
  /** Changes per sink call. Default 500. */
  readonly batchSize?: number;
  /** Rounds of re-sending changes the sink reports transient, after its own retries. Default 3. */
  readonly maxRounds?: number;
  readonly backoff?: BackoffOptions;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Continue past a file that cannot be parsed (its changes are lost to the replay). Default false. */
  readonly skipBadFiles?: boolean;
  /** Stops the replay between two batches; the report says where. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** A change refused for good, with the file it came from. */
  readonly onRejected?: (rejection: RejectedChange) => void | Promise<void>;
  readonly onBadFile?: (file: DmsS3File, error: Error) => void | Promise<void>;
}

export interface RejectedChange {
  readonly fileKey: string;
  readonly change: ChangeEvent;
  readonly code: string;
  readonly message: string;
}

/** Where the replay is: after every batch, and when a file starts or ends. */
export interface ReplayProgress {
  readonly filesTotal: number;
  /** Files done in this run (applied, skipped by the checkpoint, or bad). */
  readonly filesDone: number;
  readonly bytesTotal: number;
  readonly bytesDone: number;
  /** Changes applied in this run. */
  readonly changesApplied: number;
  readonly currentFile: string | undefined;
}

/** What happened to one source table's files in this run. */
export interface TableReplayReport {
  readonly table: string;
  files: number;
  changes: number;
  loads: number;
  inserts: number;
  updates: number;
  deletes: number;
  rejected: number;
}

export interface ReplayReport {
  readonly bucket: string;
  readonly prefix: string;
  /** Files of the plan. */
  readonly filesPlanned: number;
  /** Files skipped because the checkpoint says they were applied by an earlier run. */
  readonly filesSkipped: number;
  readonly filesApplied: number;
  readonly badFiles: readonly string[];
  /** Keys under the prefix that are not DMS data files. */
  readonly ignoredKeys: readonly string[];
  readonly changesApplied: number;
  readonly rejected: number;
  /** Batches whose transient failures were sent again. */
  readonly retriedRounds: number;
  readonly tables: readonly TableReplayReport[];
  /** False when stopped by the signal before the last file. */
  readonly completed: boolean;
  /** The checkpoint after this run (undefined if no file was ever applied). */
  readonly checkpoint: ReplayCheckpoint | undefined;
  readonly seconds: number;
}

/** The checkpoint does not belong to this folder, or the folder changed under it. */
export class CheckpointMismatchError extends Error {
  override readonly name = 'CheckpointMismatchError';
}

/** Changes still failing after every retry: the replay stops before checkpointing their file. */
export class ReplayStalledError extends Error {
  override readonly name = 'ReplayStalledError';

  constructor(readonly fileKey: string, readonly failures: readonly SinkFailure[]) {
    super(`${failures.length} change(s) of ${fileKey} still failing after retries (first: ${failures[0]?.code}: ${failures[0]?.message}); the next run starts again at this file`);
  }
}

/** A DMS file the replay cannot read. */
export class BadDmsFileError extends Error {
  override readonly name = 'BadDmsFileError';

  constructor(readonly fileKey: string, reason: string, options?: ErrorOptions) {
    super(`${fileKey}: ${reason}`, options);
  }
}

export const DEFAULT_REPLAY_BATCH_SIZE = 500;

/** `shop/customers` style prefix → `shop/customers/`, `''` stays `''`. */
export const normalisePrefix = (prefix: string): string => (prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`);

/** Every object under the prefix, with sizes (ListObjectsV2, page by page). */
export async function listFolder(s3: S3Client, bucket: string, prefix: string): Promise<Map<string, number>> {
  const objects = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key !== undefined) objects.set(object.Key, object.Size ?? 0);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return objects;
}

/** A file's changes: read (gunzipped when `.gz`) and parsed. */
async function readDmsFile(s3: S3Client, bucket: string, file: DmsS3File, csv: DmsCsvSettings): Promise<ChangeEvent[]> {
  if (file.dataFormat !== 'csv') throw new BadDmsFileError(file.key, 'Parquet DMS files are not supported by the replay (set DataFormat=csv on the endpoint)');
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: file.key }));
  let bytes: Uint8Array = await object.Body!.transformToByteArray();
  if (file.compressed) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new BadDmsFileError(file.key, `not gzip: ${(error as Error).message}`, { cause: error });
    }
  }
  const { beforeImageKeyColumns, ...settings } = csv;
  const keyColumns = sourceTable(file.schema, file.table)?.keyColumns;
  try {
    return parseDmsS3Csv(Buffer.from(bytes).toString('utf8'), {
      ...settings,
      schema: file.schema,
      table: file.table,
      kind: file.kind,
      fileKey: file.key,
      ...(beforeImageKeyColumns && file.kind === 'cdc' && keyColumns ? { beforeImage: { columns: keyColumns } } : {}),
    });
  } catch (error) {
    if (error instanceof ChangeFormatError) throw new BadDmsFileError(file.key, error.message, { cause: error });
    throw error;
  }
}

function tableReport(tables: Map<string, TableReplayReport>, file: DmsS3File): TableReplayReport {
  const name = `${file.schema}.${file.table}`;
  let report = tables.get(name);
  if (report === undefined) tables.set(name, (report = { table: name, files: 0, changes: 0, loads: 0, inserts: 0, updates: 0, deletes: 0, rejected: 0 }));
  return report;
}

const OPERATION_COUNTER: Readonly<Record<RowChange['operation'], 'loads' | 'inserts' | 'updates' | 'deletes'>> = { load: 'loads', insert: 'inserts', update: 'updates', delete: 'deletes' };

/**
 * Replays the folder. Resolves with what this run did; rejects with {@link ReplayStalledError},
 * {@link BadDmsFileError} or {@link CheckpointMismatchError} (after checkpointing every file it
 * completed), or with the error of a call that is not about particular changes.
 */
export async function replayDmsS3Folder(options: ReplayDmsS3FolderOptions): Promise<ReplayReport> {
  const started = performance.now();
  const { s3, bucket, sink } = options;
  const prefix = normalisePrefix(options.prefix);
  const batchSize = options.batchSize ?? DEFAULT_REPLAY_BATCH_SIZE;
  const maxRounds = options.maxRounds ?? 3;
  const wait = options.sleep ?? realSleep;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be an integer ≥ 1, got ${batchSize}`);

  const objects = await listFolder(s3, bucket, prefix);
  const plan = listDmsS3Files(objects.keys());
  const files = plan.files;
  const bytesTotal = files.reduce((sum, f) => sum + (objects.get(f.key) ?? 0), 0);

  let checkpoint = options.fromStart ? undefined : await options.checkpoint.load();
  let first = 0;
  if (checkpoint !== undefined) {
    if (checkpoint.bucket !== bucket || checkpoint.prefix !== prefix) {
      throw new CheckpointMismatchError(`${options.checkpoint.location} is the checkpoint of s3://${checkpoint.bucket}/${checkpoint.prefix}, not of s3://${bucket}/${prefix}`);
    }
    const index = files.findIndex((f) => f.key === checkpoint!.lastAppliedKey);
    if (index < 0) throw new CheckpointMismatchError(`${checkpoint.lastAppliedKey} (the checkpoint's last applied file) is no longer in the folder: replay from the start (harmless: conditional writes)`);
    if (index !== checkpoint.planIndex) {
      throw new CheckpointMismatchError(`files appeared or vanished before ${checkpoint.lastAppliedKey} since the checkpoint (it was file ${checkpoint.planIndex + 1}, now ${index + 1}): replay from the start (harmless: conditional writes)`);
    }
    first = index + 1;
  }

  const tables = new Map<string, TableReplayReport>();
  const badFiles: string[] = [];
  let changesApplied = 0;
  let rejected = 0;
  let retriedRounds = 0;
  let filesApplied = 0;
  let bytesDone = files.slice(0, first).reduce((sum, f) => sum + (objects.get(f.key) ?? 0), 0);
  let filesDone = first;
  let currentFile: string | undefined;
  const progress = (): void => options.onProgress?.({ filesTotal: files.length, filesDone, bytesTotal, bytesDone, changesApplied, currentFile });
  const report = (completed: boolean): ReplayReport => ({
    bucket, prefix, filesPlanned: files.length, filesSkipped: first, filesApplied, badFiles, ignoredKeys: plan.ignored, changesApplied, rejected, retriedRounds,
    tables: [...tables.values()], completed, checkpoint, seconds: (performance.now() - started) / 1000,
  });
  progress();

  // The next file is read while the current one is applied.
  const read = (i: number): Promise<ChangeEvent[]> | undefined => {
    const file = files[i];
    if (file === undefined) return undefined;
    const reading = readDmsFile(s3, bucket, file, options.csv ?? {});
    reading.catch(() => undefined); // handled when awaited
    return reading;
  };

  // A batch may span files (DMS writes a file a minute per table: often a few rows each). Order
  // across files needs no care: the applier orders each row's changes by position. A file is
  // complete once every batch holding its changes is; files complete in plan order.
  let batch: { readonly change: ChangeEvent; readonly file: number }[] = [];
  /** Files whose changes are all queued, not yet checkpointed: [plan index, change count]. */
  let queued: [number, number][] = [];
  const complete = async (): Promise<void> => {
    if (queued.length === 0) return;
    const [last] = queued.at(-1)!;
    const changes = queued.reduce((sum, [, count]) => sum + count, 0);
    checkpoint = { version: 1, bucket, prefix, lastAppliedKey: files[last]!.key, planIndex: last, changesApplied: (checkpoint?.changesApplied ?? 0) + changes, updatedAt: new Date().toISOString() };
    await options.checkpoint.save(checkpoint);
    for (const [index] of queued) {
      filesApplied++;
      filesDone++;
      bytesDone += objects.get(files[index]!.key) ?? 0;
    }
    queued = [];
    progress();
  };
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const sent = batch;
    batch = [];
    let pending = sent.map(({ change }, ref) => ({ ref, value: change }));
    for (let round = 0; ; round++) {
      const { failures } = await sink.write(pending);
      const transient = failures.filter((f) => f.kind === 'transient');
      for (const failure of failures) {
        if (failure.kind !== 'permanent') continue;
        const { change, file } = sent[failure.ref]!;
        rejected++;
        tableReport(tables, files[file]!).rejected++;
        await options.onRejected?.({ fileKey: files[file]!.key, change, code: failure.code, message: failure.message });
      }
      if (transient.length === 0) break;
      if (round >= maxRounds) throw new ReplayStalledError(files[sent[transient[0]!.ref]!.file]!.key, transient);
      retriedRounds++;
      await wait(fullJitterDelayMs(round, options.backoff ?? DEFAULT_BACKOFF));
      const again = new Set(transient.map((f) => f.ref));
      pending = pending.filter((item) => again.has(item.ref));
    }
    for (const { change, file } of sent) {
      const table = tableReport(tables, files[file]!);
      if (change.kind === 'row') table[OPERATION_COUNTER[change.operation]]++;
      table.changes++;
    }
    changesApplied += sent.length;
    progress();
  };

  let next = read(first);
  for (let i = first; i < files.length; i++) {
    const file = files[i]!;
    currentFile = file.key;
    const reading = next!;
    next = read(i + 1);
    let changes: ChangeEvent[];
    try {
      changes = await reading;
    } catch (error) {
      if (!(error instanceof BadDmsFileError) || !options.skipBadFiles) throw error;
      badFiles.push(file.key);
      await options.onBadFile?.(file, error);
      filesDone++;
      bytesDone += objects.get(file.key) ?? 0;
      progress();
      continue;
    }
    tableReport(tables, file).files++;
    for (const change of changes) {
      batch.push({ change, file: i });
      if (batch.length < batchSize) continue;
      if (options.signal?.aborted) return report(false);
      await flush();
      await complete();
    }
    queued.push([i, changes.length]);
    if (batch.length === 0) await complete();
  }
  if (options.signal?.aborted && batch.length > 0) return report(false);
  await flush();
  await complete();
  currentFile = undefined;
  progress();
  return report(true);
}

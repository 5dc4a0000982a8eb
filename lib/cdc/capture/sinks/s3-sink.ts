/**
 * Writes changes to S3 in AWS DMS's S3 target layout (CSV; formats/dms-s3.ts):
 * `[prefix/]schema/table/LOAD00000001.csv …` for the full load, then CDC files named by the time
 * they were written (`20261127-0424291230.csv`), each holding one write's changes of one table in
 * commit order. A write resolves once every one of its files is stored.
 *
 * Names: LOAD counters continue after the highest LOAD file already in a table's folder (a load
 * redone after an interrupted one comes after it). CDC file times strictly increase within a sink
 * (at least 1 ms apart), so a table's files sorted by name are in commit order; across restarts
 * that relies on the clock not going back.
 */
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ChangeEvent } from '../../change-event';
import { dmsCdcFileName, dmsLoadFileName, dmsS3Key, formatDmsS3Csv, type DmsS3CsvWriteOptions, type DmsS3FileKind } from '../../formats/dms-s3';
import { SinkWriteError, type CaptureSink } from '../sink';

export interface S3SinkOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** DMS's `BucketFolder`: the key prefix before `schema/table/` (no trailing slash needed). */
  readonly prefix?: string;
  /** DMS endpoint settings of the CSV (timestamp column, NULL text, delimiter, header …). */
  readonly csv?: Omit<DmsS3CsvWriteOptions, 'schema' | 'table' | 'kind' | 'loadTime'>;
  /**
   * Table-level changes (truncate), which DMS's S3 CSV cannot hold: `reject` fails the write (the
   * capture stops; the default), `skip` leaves them out and counts them in {@link S3Sink.skippedControlChanges}.
   */
  readonly controlChanges?: 'reject' | 'skip';
  /** The clock CDC file names are taken from (default `new Date()`). */
  readonly now?: () => Date;
}

/** One file of a write: a table's changes of one kind, in order. */
interface FileGroup {
  readonly schema: string;
  readonly table: string;
  readonly kind: DmsS3FileKind;
  readonly changes: ChangeEvent[];
}

const LOAD_FILE = /^LOAD([0-9A-F]{8})\.csv$/;

export class S3Sink implements CaptureSink {
  /** Files written. */
  files = 0;
  /** Bytes of CSV written. */
  bytes = 0;
  /** Changes written. */
  rows = 0;
  skippedControlChanges = 0;
  /** Keys written, in order. */
  readonly keys: string[] = [];
  private readonly now: () => Date;
  private readonly loadCounters = new Map<string, number>();
  private lastCdcTime = 0;

  constructor(private readonly options: S3SinkOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async write(changes: readonly ChangeEvent[]): Promise<void> {
    const groups = new Map<string, FileGroup>();
    for (const change of changes) {
      if (change.kind === 'control') {
        if (this.options.controlChanges === 'skip') {
          this.skippedControlChanges++;
          continue;
        }
        throw new SinkWriteError(`${change.operation} of ${change.schema}.${change.table}: DMS's S3 CSV has no table-level changes`, changes.length, changes.length);
      }
      const kind: DmsS3FileKind = change.operation === 'load' ? 'load' : 'cdc';
      const id = `${kind}/${change.schema}/${change.table}`;
      let group = groups.get(id);
      if (!group) groups.set(id, (group = { schema: change.schema, table: change.table, kind, changes: [] }));
      group.changes.push(change);
    }
    if (groups.size === 0) return;
    const now = this.now();
    // One time for all of a write's CDC files: strictly after the previous write's.
    const cdcTime = [...groups.values()].some((g) => g.kind === 'cdc') ? new Date((this.lastCdcTime = Math.max(now.getTime(), this.lastCdcTime + 1))) : now;
    const files = await Promise.all([...groups.values()].map(async (group) => ({ group, key: await this.keyFor(group, cdcTime) })));
    const outcomes = await Promise.allSettled(
      files.map(async ({ group, key }) => {
        const body = formatDmsS3Csv(group.changes, { ...this.options.csv, schema: group.schema, table: group.table, kind: group.kind, loadTime: cdcTime });
        await this.options.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body, ContentType: 'text/csv; charset=utf-8' }));
        this.files++;
        this.bytes += Buffer.byteLength(body, 'utf8');
        this.rows += group.changes.length;
        this.keys.push(key);
      }),
    );
    const failed = outcomes.flatMap((outcome, i) => (outcome.status === 'rejected' ? [{ file: files[i]!, reason: outcome.reason as unknown }] : []));
    if (failed.length > 0) {
      const lost = failed.reduce((sum, f) => sum + f.file.group.changes.length, 0);
      const named = failed.map((f) => `${f.file.key}: ${f.reason instanceof Error ? f.reason.message : String(f.reason)}`).join('; ');
      throw new SinkWriteError(`${failed.length} of ${files.length} file(s) not stored in s3://${this.options.bucket}: ${named}`, lost, changes.length, { cause: failed[0]!.reason });
    }
  }

  private async keyFor(group: FileGroup, cdcTime: Date): Promise<string> {
    const { prefix } = this.options;
    if (group.kind === 'cdc') return dmsS3Key(group.schema, group.table, dmsCdcFileName(cdcTime), prefix);
    const folder = dmsS3Key(group.schema, group.table, '', prefix);
    let counter = this.loadCounters.get(folder);
    counter ??= await this.highestLoadFile(folder);
    this.loadCounters.set(folder, ++counter);
    return dmsS3Key(group.schema, group.table, dmsLoadFileName(counter), prefix);
  }

  /** The highest LOAD counter already stored in a table's folder (0 when none). */
  private async highestLoadFile(folder: string): Promise<number> {
    let highest = 0;
    let token: string | undefined;
    do {
      const page = await this.options.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: `${folder}LOAD`, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        const match = LOAD_FILE.exec((object.Key ?? '').slice(folder.length));
        if (match) highest = Math.max(highest, parseInt(match[1]!, 16));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return highest;
  }
}

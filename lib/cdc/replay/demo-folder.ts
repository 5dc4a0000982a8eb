/**
 * A history written out as a DMS S3 target folder would hold it: per table, a full-load file
 * (`LOAD00000001.csv`) and CDC files named by time, each holding a window of transactions —
 * with DMS's `Op` column, a commit timestamp column, and before-image columns for the primary
 * key (the `add-before-image-columns` rule), so that primary-key updates can be replayed.
 */
import type { ColumnValue, RowChange } from '../change-event';
import { dmsCdcFileName, dmsLoadFileName, dmsS3Key, formatDmsS3Csv } from '../formats/dms-s3';
import { sourceTable } from '../source-tables';
import type { DmsCsvSettings } from './replay-dms-s3-folder';

export interface DemoFolderOptions {
  /** The DMS `BucketFolder`. Default none. */
  readonly bucketFolder?: string;
  /** Transactions per CDC file. Default 25. */
  readonly transactionsPerFile?: number;
}

/** The CSV settings the demo folder is written with, for the replay to read it back. */
export const DEMO_CSV_SETTINGS: DmsCsvSettings = { timestampColumn: 'commit_ts', beforeImageKeyColumns: true };

export interface DemoFile {
  readonly key: string;
  readonly body: string;
}

/** Key values are digits and uuids; a field that would need quoting is refused rather than mis-written. */
function csvField(value: ColumnValue | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  if (/[",\r\n]/.test(text)) throw new RangeError(`a before-image key value needs quoting: ${JSON.stringify(text)}`);
  return text;
}

/** DMS CSV files of the changes (load rows, then row changes carrying commit times), in DMS's layout. */
export function demoDmsFolder(changes: readonly RowChange[], options: DemoFolderOptions = {}): DemoFile[] {
  const files: DemoFile[] = [];
  const perFile = options.transactionsPerFile ?? 25;
  const tables = [...new Set(changes.map((c) => c.table))];
  for (const table of tables) {
    const keyColumns = sourceTable('shop', table)?.keyColumns;
    if (!keyColumns) throw new RangeError(`shop.${table} is not a source table`);
    const loads = changes.filter((c) => c.table === table && c.operation === 'load');
    if (loads.length > 0) {
      files.push({ key: dmsS3Key('shop', table, dmsLoadFileName(1), options.bucketFolder), body: formatDmsS3Csv(loads, { schema: 'shop', table, kind: 'load', timestampColumn: DEMO_CSV_SETTINGS.timestampColumn!, loadTime: new Date(Date.UTC(2026, 10, 24)) }) });
    }
    // Windows of transactions, by commit time: the same windows for every table.
    const commits = [...new Set(changes.filter((c) => c.operation !== 'load').map((c) => c.position.commit))].sort();
    for (let w = 0; w < commits.length; w += perFile) {
      const window = new Set(commits.slice(w, w + perFile));
      const rows = changes.filter((c) => c.table === table && c.operation !== 'load' && window.has(c.position.commit));
      if (rows.length === 0) continue;
      // One record per call (a quoted value may hold line breaks), then the `BI_<key>` columns
      // after the table's: the old key of an update, empty otherwise.
      const body = rows.map((change) => {
        const record = formatDmsS3Csv([change], { schema: 'shop', table, kind: 'cdc', timestampColumn: DEMO_CSV_SETTINGS.timestampColumn! }).slice(0, -1);
        const before = change.operation === 'update' ? change.before : undefined;
        return `${record},${keyColumns.map((c) => csvField(before?.[c])).join(',')}\n`;
      }).join('');
      const firstCommit = [...window][0]!;
      files.push({ key: dmsS3Key('shop', table, dmsCdcFileName(new Date(firstCommit)), options.bucketFolder), body });
    }
  }
  return files;
}

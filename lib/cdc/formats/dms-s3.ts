/**
 * AWS DMS's Amazon S3 target layout (CSV), both ways.
 *
 * Layout (DMS user guide, "Using Amazon S3 as a target"): `[bucketFolder/]<schema>/<table>/`
 * holds full-load files named with an 8-digit upper-case hexadecimal counter
 * (`LOAD00000001.csv` … `LOAD00000009.csv`, `LOAD0000000A.csv`, …) and CDC files named by the
 * time DMS wrote them (`20141029-1134010000.csv`: date, `-`, HHMMSS and four more digits, read
 * here as the fraction of the second); `.gz` is appended with `CompressionType=GZIP`, and
 * `DatePartitionEnabled` adds date folders (`2024/07/29/`) before CDC files.
 *
 * Rows: no header unless `AddColumnName`; CDC rows start with `Op` (`I` insert, `U` update with the
 * row after it, `D` delete with the row before it); full-load rows have no `Op` unless
 * `IncludeOpForFullLoad` (then `I`), and `CdcInsertsOnly` without it drops `Op` from CDC rows too.
 * With `TimestampColumnName` a column of `yyyy-MM-dd HH:mm:ss.SSSSSS` follows `Op` (or leads): the
 * commit time for CDC rows, the transfer time for full-load rows. The column's place right after
 * `Op` is not spelled out by the user guide: with `AddColumnName` the header decides, without it
 * this layout is assumed. `add-before-image-columns` appends `BI_<column>` columns after the
 * table's. NULL is written as `CsvNullValue` (default: an empty field, so an empty string and
 * NULL look alike in a nullable text column: both read as NULL; set `CsvNullValue` to tell them
 * apart). Fields with the delimiter, quotes or line breaks are quoted, RFC 4180.
 *
 * Ordering guarantee: DMS writes each table's changes in commit order, file after file, so a
 * table's CDC files sorted by name and their rows in file order are in commit order. Full-load
 * files come before a table's CDC files (changes made during the full load are cached and
 * written after it). Across tables, file names order files only by write time.
 *
 * Positions: full-load rows sit at the snapshot position. CDC rows with the timestamp column are
 * at their commit time (microseconds), sequence = their index among the file's rows of that same
 * commit time. Without it, the file's name time stands for the commit, sequence = the row's index
 * in the file: correct within a table (files in commit order), only approximate across tables.
 *
 * Parquet (`DataFormat=parquet`) files are listed but not parsed here.
 */
import Papa from 'papaparse';
import type { ChangeEvent, ChangePosition, ColumnValue, RowChange, RowImage } from '../change-event';
import { ChangeFormatError } from '../change-event';
import type { SourceColumn, SourceTable, SourceTables } from '../source-tables';
import { canonicalValue, shopTables, sourceTable } from '../source-tables';
import type { BeforeImageColumnNaming } from './dms-image';
import { assertCanonical, DEFAULT_BEFORE_IMAGE_COLUMNS } from './dms-image';
import { parseTimestamptz, PgValueError, timestampToDmsText } from './pg-values';
import { SNAPSHOT_POSITION } from './positions';

const FORMAT = 'dms-s3';

export type DmsS3FileKind = 'load' | 'cdc';

export interface DmsS3File {
  /** The object key as listed. */
  readonly key: string;
  readonly schema: string;
  readonly table: string;
  readonly kind: DmsS3FileKind;
  readonly dataFormat: 'csv' | 'parquet';
  readonly compressed: boolean;
  /** Full-load files: the counter (`LOAD0000000A` → 10). */
  readonly loadNumber: number | undefined;
  /** CDC files: the time in the name, canonical (`2014-10-29T11:34:01.000000Z`). */
  readonly fileTime: string | undefined;
}

export interface DmsS3Plan {
  /** Full-load files (table by table, counter order), then CDC files (name time order). */
  readonly files: readonly DmsS3File[];
  /** Keys that are not DMS data files (folders, manifests, other objects). */
  readonly ignored: readonly string[];
}

const LOAD_NAME = /^LOAD([0-9A-Fa-f]{1,8})\.(csv|parquet)(\.gz)?$/;
const CDC_NAME = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})(\d{4})\.(csv|parquet)(\.gz)?$/;
const DATE_FOLDER = /^\d+(?:[-_]\d+)*$/;

/** The canonical time of a CDC file name (`20141029-1134010000` → `2014-10-29T11:34:01.000000Z`), or undefined. */
export function dmsCdcFileTime(fileName: string): string | undefined {
  const match = CDC_NAME.exec(fileName);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction] = match;
  try {
    return parseTimestamptz(`${y}-${mo}-${d}T${h}:${mi}:${s}.${fraction}Z`);
  } catch {
    return undefined;
  }
}

/** `LOAD` + the counter as 8 upper-case hex digits + `.csv`. */
export const dmsLoadFileName = (counter: number, extension = 'csv'): string => `LOAD${counter.toString(16).toUpperCase().padStart(8, '0')}.${extension}`;

/** A CDC file name for a write time: `YYYYMMDD-HHMMSS` and four fraction digits (`20141029-1134010000.csv`). */
export function dmsCdcFileName(time: Date, extension = 'csv'): string {
  const iso = time.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${iso.slice(20, 23)}0.${extension}`;
}

/** The key of a table's file: `[bucketFolder/]schema/table/fileName`. */
export const dmsS3Key = (schema: string, table: string, fileName: string, bucketFolder?: string): string =>
  `${bucketFolder ? `${bucketFolder.replace(/\/+$/, '')}/` : ''}${schema}/${table}/${fileName}`;

/**
 * Orders a listing of DMS target keys into a replay plan: every table's full-load files in
 * counter order (tables by schema then name), then all CDC files by the time in their names
 * (ties: schema, table, key). Schema and table are the two folders before the file, skipping
 * date-partition folders; anything else is returned as ignored.
 */
export function listDmsS3Files(keys: Iterable<string>): DmsS3Plan {
  const files: DmsS3File[] = [];
  const ignored: string[] = [];
  for (const key of keys) {
    const segments = key.split('/');
    const name = segments.pop()!;
    const load = LOAD_NAME.exec(name);
    const fileTime = load ? undefined : dmsCdcFileTime(name);
    if (!load && fileTime === undefined) {
      ignored.push(key);
      continue;
    }
    if (!load) while (segments.length > 2 && DATE_FOLDER.test(segments[segments.length - 1]!)) segments.pop();
    const table = segments.pop();
    const schema = segments.pop();
    if (!schema || !table) {
      ignored.push(key);
      continue;
    }
    const extension = load ? load[2]! : CDC_NAME.exec(name)![8]!;
    files.push({
      key,
      schema,
      table,
      kind: load ? 'load' : 'cdc',
      dataFormat: extension === 'parquet' ? 'parquet' : 'csv',
      compressed: name.endsWith('.gz'),
      loadNumber: load ? parseInt(load[1]!, 16) : undefined,
      fileTime,
    });
  }
  const byTable = (a: DmsS3File, b: DmsS3File): number => (a.schema < b.schema ? -1 : a.schema > b.schema ? 1 : a.table < b.table ? -1 : a.table > b.table ? 1 : 0);
  const byKey = (a: DmsS3File, b: DmsS3File): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const loads = files.filter((f) => f.kind === 'load').sort((a, b) => byTable(a, b) || a.loadNumber! - b.loadNumber! || byKey(a, b));
  const cdc = files.filter((f) => f.kind === 'cdc').sort((a, b) => (a.fileTime! < b.fileTime! ? -1 : a.fileTime! > b.fileTime! ? 1 : 0) || byTable(a, b) || byKey(a, b));
  return { files: [...loads, ...cdc], ignored };
}

// ——— CSV ———

export interface DmsS3CsvOptions {
  readonly schema: string;
  readonly table: string;
  readonly kind: DmsS3FileKind;
  /** The object key, for error messages (and the CDC file time when there is no timestamp column). */
  readonly fileKey: string;
  /** Column names in file order; default the source table's columns. Required for unknown tables. */
  readonly columns?: readonly string[];
  readonly tables?: SourceTables;
  /** `TimestampColumnName`, when set on the endpoint. */
  readonly timestampColumn?: string;
  /** `IncludeOpForFullLoad`. */
  readonly includeOpForFullLoad?: boolean;
  /** `CdcInsertsOnly` (CDC rows lose `Op` unless `IncludeOpForFullLoad`). */
  readonly cdcInsertsOnly?: boolean;
  /** `AddColumnName`: the first row names the columns. */
  readonly addColumnName?: boolean;
  /** `add-before-image-columns`: the source columns that have before-image columns, and their naming. */
  readonly beforeImage?: { readonly columns: readonly string[]; readonly naming?: BeforeImageColumnNaming };
  /** `CsvDelimiter` (default `,`). */
  readonly csvDelimiter?: string;
  /** `CsvNullValue` (default: the empty field). */
  readonly csvNullValue?: string;
}

/** The file's columns, in order, and what each holds. */
type Slot = { readonly role: 'op' } | { readonly role: 'timestamp' } | { readonly role: 'column'; readonly name: string } | { readonly role: 'before'; readonly name: string };

function hasOpColumn(options: DmsS3CsvOptions): boolean {
  if (options.kind === 'load') return options.includeOpForFullLoad === true;
  return !(options.cdcInsertsOnly === true && options.includeOpForFullLoad !== true);
}

function layout(options: DmsS3CsvOptions, columns: readonly string[]): Slot[] {
  const naming = options.beforeImage?.naming ?? DEFAULT_BEFORE_IMAGE_COLUMNS;
  return [
    ...(hasOpColumn(options) ? [{ role: 'op' } as const] : []),
    ...(options.timestampColumn ? [{ role: 'timestamp' } as const] : []),
    ...columns.map((name) => ({ role: 'column', name }) as const),
    ...(options.beforeImage?.columns ?? []).map((name) => ({ role: 'before', name: `${naming.prefix}${name}${naming.suffix}` }) as const),
  ];
}

const slotName = (slot: Slot, options: DmsS3CsvOptions): string =>
  slot.role === 'op' ? 'Op' : slot.role === 'timestamp' ? options.timestampColumn! : slot.name;

function columnsOf(options: DmsS3CsvOptions, table: SourceTable | undefined): readonly string[] {
  if (options.columns) return options.columns;
  if (table) return table.columns.map((c) => c.name);
  throw new ChangeFormatError(FORMAT, undefined, `${options.schema}.${options.table} is not a known source table: pass its columns`);
}

const OPS: Readonly<Record<string, RowChange['operation']>> = { I: 'insert', U: 'update', D: 'delete' };

/**
 * Parses one DMS CSV file of a table into change events, in file order. Values become canonical
 * for known source tables; for unknown tables they stay text (NULL as null). Malformed rows are
 * ChangeFormatErrors naming `<fileKey> row <n> column <name>` (rows counted from 1, header included).
 */
export function parseDmsS3Csv(text: string, options: DmsS3CsvOptions): ChangeEvent[] {
  const table = sourceTable(options.schema, options.table, options.tables ?? shopTables);
  const columns = columnsOf(options, table);
  let slots = layout(options, columns);
  const delimiter = options.csvDelimiter ?? ',';
  const nullValue = options.csvNullValue ?? '';
  const parsed = Papa.parse<string[]>(text.startsWith('\uFEFF') ? text.slice(1) : text, { delimiter, skipEmptyLines: true, header: false });
  if (parsed.errors.length > 0) {
    const error = parsed.errors[0]!;
    throw new ChangeFormatError(FORMAT, `${options.fileKey} row ${(error.row ?? 0) + 1}`, `not valid CSV: ${error.message}`);
  }
  const rows = parsed.data;
  let firstRow = 0;
  if (options.addColumnName) {
    const header = rows[0];
    if (!header) throw new ChangeFormatError(FORMAT, `${options.fileKey} row 1`, 'expected a header row (AddColumnName)');
    const bySlotName = new Map(slots.map((s) => [slotName(s, options), s]));
    slots = header.map((name, i) => {
      const slot = bySlotName.get(name);
      if (!slot) throw new ChangeFormatError(FORMAT, `${options.fileKey} row 1 column ${i + 1}`, `unexpected column name ${JSON.stringify(name)}`);
      bySlotName.delete(name);
      return slot;
    });
    firstRow = 1;
  }
  const beforeNaming = options.beforeImage?.naming ?? DEFAULT_BEFORE_IMAGE_COLUMNS;
  const sourceColumnOf = (beforeName: string): string => beforeName.slice(beforeNaming.prefix.length, beforeName.length - beforeNaming.suffix.length);

  const fileTime = options.timestampColumn ? undefined : dmsCdcFileTime(options.fileKey.split('/').pop()!);
  if (options.kind === 'cdc' && !options.timestampColumn && fileTime === undefined) {
    throw new ChangeFormatError(FORMAT, options.fileKey, 'a CDC file needs a timestamp column or a DMS CDC file name (YYYYMMDD-HHMMSSffff.csv) for positions');
  }

  const changes: ChangeEvent[] = [];
  let previousCommit: string | undefined;
  let sameCommit = 0;
  for (let r = firstRow; r < rows.length; r++) {
    const fields = rows[r]!;
    const rowField = (name: string): string => `${options.fileKey} row ${r + 1} column ${name}`;
    if (fields.length !== slots.length) throw new ChangeFormatError(FORMAT, `${options.fileKey} row ${r + 1}`, `expected ${slots.length} fields, got ${fields.length}`);
    let operation = (options.kind === 'load' ? 'load' : 'insert') as RowChange['operation'];
    let timestamp: string | undefined;
    const image: Record<string, ColumnValue> = {};
    const before: Record<string, ColumnValue> = {};
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const text = fields[i]!;
      if (slot.role === 'op') {
        const op = OPS[text];
        if (op === undefined || (options.kind === 'load' && op !== 'insert')) {
          throw new ChangeFormatError(FORMAT, rowField('Op'), `expected one of ${options.kind === 'load' ? 'I' : 'I|U|D'}, got ${JSON.stringify(text)}`);
        }
        if (options.kind === 'cdc') operation = op;
      } else if (slot.role === 'timestamp') {
        try {
          timestamp = parseTimestamptz(text);
        } catch (error) {
          if (error instanceof PgValueError) throw new ChangeFormatError(FORMAT, rowField(options.timestampColumn!), error.message);
          throw error;
        }
      } else if (slot.role === 'column') {
        image[slot.name] = fieldValue(text, table?.columnsByName.get(slot.name), nullValue, rowField(slot.name));
      } else {
        const column = sourceColumnOf(slot.name);
        before[column] = fieldValue(text, table?.columnsByName.get(column), nullValue, rowField(slot.name));
      }
    }
    if (table) {
      for (const name of Object.keys(image)) if (!table.columnsByName.has(name)) throw new ChangeFormatError(FORMAT, rowField(name), `not a column of ${table.schema}.${table.table}`);
      if (operation !== 'delete') {
        for (const column of table.columns) {
          if (!column.nullable && image[column.name] === null) throw new ChangeFormatError(FORMAT, rowField(column.name), `null in NOT NULL column ${column.name}`);
        }
      }
    }
    let position: ChangePosition;
    if (options.kind === 'load') {
      position = SNAPSHOT_POSITION;
    } else {
      const commit = timestamp ?? fileTime!;
      sameCommit = timestamp === undefined ? r - firstRow : commit === previousCommit ? sameCommit + 1 : 0;
      previousCommit = commit;
      position = { commit, sequence: sameCommit };
    }
    const beforeImage = Object.values(before).some((v) => v !== null) ? before : undefined;
    changes.push({
      kind: 'row',
      operation,
      schema: options.schema,
      table: options.table,
      after: operation === 'delete' ? undefined : image,
      before: operation === 'delete' ? image : operation === 'update' ? beforeImage : undefined,
      keyColumns: table?.keyColumns,
      position,
      transactionId: undefined,
      commitTimestamp: options.kind === 'cdc' ? timestamp : undefined,
    });
  }
  return changes;
}

const TEXT_KINDS = new Set(['text', 'char']);

function fieldValue(text: string, column: SourceColumn | undefined, nullValue: string, field: string): ColumnValue {
  if (text === nullValue) {
    // An empty field in a NOT NULL text column can only be the empty string.
    if (!(nullValue === '' && column && !column.nullable && TEXT_KINDS.has(column.type.kind))) return null;
  }
  if (!column) return text;
  return canonicalValue(column.type, text, { format: FORMAT, field });
}

// ——— writing ———

export interface DmsS3CsvWriteOptions {
  readonly schema: string;
  readonly table: string;
  readonly kind: DmsS3FileKind;
  readonly tables?: SourceTables;
  readonly timestampColumn?: string;
  readonly includeOpForFullLoad?: boolean;
  readonly addColumnName?: boolean;
  readonly csvDelimiter?: string;
  readonly csvNullValue?: string;
  /** The timestamp column's value for full-load rows (DMS: the transfer time); default now. */
  readonly loadTime?: Date;
}

/** A canonical value as DMS writes it in CSV: timestamps `yyyy-MM-dd HH:mm:ss.SSSSSS`, booleans `true`/`false`. */
function csvText(value: ColumnValue, column: SourceColumn): string {
  if (column.type.kind === 'timestamptz' && typeof value === 'string') return timestampToDmsText(value);
  return String(value);
}

function quote(field: string, delimiter: string): string {
  return field.includes(delimiter) || field.includes('"') || field.includes('\n') || field.includes('\r') ? `"${field.replace(/"/g, '""')}"` : field;
}

/**
 * Writes changes of one known source table as one DMS CSV file (rows in the given order, each
 * ending in `\n`). Load files take `load` rows; CDC files take insert, update and delete rows
 * (DMS's S3 CSV has no control records). Values must be canonical; a non-NULL value whose text
 * equals the NULL text in a nullable column cannot be written unambiguously (RangeError: choose
 * another `csvNullValue`).
 */
export function formatDmsS3Csv(changes: readonly ChangeEvent[], options: DmsS3CsvWriteOptions): string {
  const table = sourceTable(options.schema, options.table, options.tables ?? shopTables);
  if (!table) throw new RangeError(`${options.schema}.${options.table} is not a known source table`);
  const delimiter = options.csvDelimiter ?? ',';
  const nullValue = options.csvNullValue ?? '';
  const withOp = options.kind === 'cdc' || options.includeOpForFullLoad === true;
  const lines: string[] = [];
  if (options.addColumnName) {
    lines.push([...(withOp ? ['Op'] : []), ...(options.timestampColumn ? [options.timestampColumn] : []), ...table.columns.map((c) => c.name)].map((f) => quote(f, delimiter)).join(delimiter));
  }
  const loadTime = timestampToDmsText(parseTimestamptz((options.loadTime ?? new Date()).toISOString()));
  changes.forEach((change, index) => {
    const where = `changes[${index}]`;
    if (change.kind !== 'row') throw new RangeError(`${where}: DMS's S3 CSV has no control records`);
    if (change.schema !== options.schema || change.table !== options.table) throw new RangeError(`${where}: a change of ${change.schema}.${change.table} in a file of ${options.schema}.${options.table}`);
    if ((options.kind === 'load') !== (change.operation === 'load')) throw new RangeError(`${where}: a ${change.operation} row in a ${options.kind} file`);
    const image: RowImage | undefined = change.operation === 'delete' ? change.before : change.after;
    if (!image) throw new RangeError(`${where}: a ${change.operation} needs ${change.operation === 'delete' ? 'a before' : 'an after'} image`);
    const fields: string[] = [];
    if (withOp) fields.push(change.operation === 'update' ? 'U' : change.operation === 'delete' ? 'D' : 'I');
    if (options.timestampColumn) {
      const commit = change.commitTimestamp ?? (options.kind === 'cdc' && !/^[0-9A-F]{16}$/.test(change.position.commit) ? change.position.commit : undefined);
      if (options.kind === 'cdc' && commit === undefined) throw new RangeError(`${where}: the timestamp column needs the change's commit time`);
      fields.push(commit === undefined ? loadTime : timestampToDmsText(parseTimestamptz(commit)));
    }
    for (const column of table.columns) {
      const value = Object.hasOwn(image, column.name) ? image[column.name]! : null;
      if (value === null) {
        if (change.operation !== 'delete' && !column.nullable) throw new RangeError(`${where}.${column.name}: null in NOT NULL column`);
        fields.push(nullValue);
        continue;
      }
      assertCanonical(column, value, `${where}.${column.name}`);
      const text = csvText(value, column);
      if (text === nullValue && !(nullValue === '' && !column.nullable && TEXT_KINDS.has(column.type.kind))) {
        throw new RangeError(`${where}.${column.name}: ${JSON.stringify(text)} would read back as NULL (csvNullValue)`);
      }
      fields.push(quote(text, delimiter));
    }
    lines.push(fields.join(delimiter));
  });
  return lines.map((line) => `${line}\n`).join('');
}

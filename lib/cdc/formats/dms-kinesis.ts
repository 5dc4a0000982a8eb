/**
 * AWS DMS's Kinesis Data Streams target format (the same JSON DMS writes to Kafka), both ways.
 *
 * A message is `{ "data": {…}, "metadata": {…} }` for rows and `{ "control": {…}?, "metadata": {…} }`
 * for table events. `metadata` holds `timestamp` (when DMS built the message), `record-type`
 * (`data` | `control`), `operation` (`load` | `insert` | `update` | `delete`, or for control
 * `create-table`, `drop-table`, `rename-table`, `add-column`, …), `partition-key-type`,
 * `schema-name`, `table-name`, `transaction-id`, and with the endpoint's
 * `IncludeTransactionDetails` also `commit-timestamp`, `stream-position`,
 * `transaction-record-id`, `prev-transaction-id`, `prev-transaction-record-id`.
 * `MessageFormat` `JSON` is indented with tabs, `JSON_UNFORMATTED` one line ending in a newline.
 * Sources: DMS user guide, "Using Amazon Kinesis Data Streams as a target" (settings, before
 * images, partition keys) and messages captured from a PostgreSQL source (crate/commons-codec's
 * DMS test data: `stream-position` `00000002/7C007178.3.00000002/7C007178`, 1-based
 * `transaction-record-id`, `partition-key-value` `public.foo.42`, `before-image` `{}` for an
 * update that kept its key, deletes carrying the key and nulls).
 *
 * Before images: with the `BeforeImageSettings` task setting DMS adds a top-level attribute named
 * by its `FieldName` (conventionally `before-image`); with the `add-before-image-columns` rule it
 * adds `BI_<column>` columns to `data`. Both are read; the encoder writes `before-image`.
 * For PostgreSQL, DMS documents that the before image holds the primary-key columns only.
 *
 * Positions (ChangePosition): DMS's PostgreSQL `stream-position` is an undocumented composite whose
 * parts cannot be told apart (commit LSN or the change's LSN), so it is not read. Instead:
 * 1. `metadata.commit-lsn` (PostgreSQL `X/Y` text; an extra field this project's capture writes)
 *    → the LSN domain, sequence `transaction-record-id − 1`;
 * 2. else a `load` → the snapshot position ({@link SNAPSHOT_POSITION});
 * 3. else `commit-timestamp` (real DMS with `IncludeTransactionDetails`) → the commit-time domain,
 *    microseconds, sequence `transaction-record-id − 1`. Two transactions committed in the same
 *    microsecond are not ordered by this (rare; a row's own changes are, by record id and time);
 * 4. else control records fall back to `metadata.timestamp` (built after the commit), sequence 0;
 * 5. else `options.fallbackPosition`, or a ChangeFormatError naming `metadata.commit-timestamp`.
 *
 * Values: DMS maps PostgreSQL `integer` to INT4, `bigint` to INT8, `numeric(p,s)` to NUMERIC,
 * `boolean` to BOOLEAN (older engines: CHAR(5) `true`/`false`), `text` to NCLOB, `char(n)` to
 * WSTRING, `uuid` to STRING, `timestamptz` to a date-time (DMS user guide, "Source data types for
 * PostgreSQL"). Its JSON does not document each type's spelling, so the parser accepts numbers
 * or strings for numerics, booleans or their text, and any of the timestamp texts
 * source-tables.ts knows. The encoder writes numerics as exact JSON number literals (`12.50`,
 * `9223372036854775807`), booleans as JSON booleans, timestamps as `2026-11-25T22:00:00.123456Z`.
 */
import type { ChangeEvent, ChangePosition, ColumnValue, ControlOperation, RowChange, RowImage, RowOperation } from '../change-event';
import { ChangeFormatError, lsnToCommitPosition } from '../change-event';
import type { SourceTable, SourceTables } from '../source-tables';
import { shopTables, sourceTable } from '../source-tables';
import type { BeforeImageColumnNaming } from './dms-image';
import { assertCanonical, beforeImageColumnOf, DEFAULT_BEFORE_IMAGE_COLUMNS, imageOf, orderedColumns } from './dms-image';
import { JsonNumberText, parseExactJson, stringifyExactJson } from './exact-json';
import { parseTimestamptz, PgValueError } from './pg-values';
import { commitPositionToLsn, isLsnCommit, SNAPSHOT_COMMIT, SNAPSHOT_POSITION } from './positions';

const FORMAT = 'dms-kinesis';

export const DMS_DATA_OPERATIONS = ['load', 'insert', 'update', 'delete'] as const;

/** Control operations DMS writes, and the change-event operation each becomes. */
const CONTROL_OPERATIONS: Readonly<Record<string, ControlOperation>> = {
  'create-table': 'create-table',
  'drop-table': 'drop-table',
  'truncate-table': 'truncate',
  truncate: 'truncate',
  'rename-table': 'rename-table',
  'add-column': 'add-column',
  'drop-column': 'drop-column',
  'rename-column': 'change-columns',
  'column-type-change': 'change-columns',
  'change-columns': 'change-columns',
  // The user guide's older spelling of the two it documented.
  TruncateTable: 'truncate',
  DropTable: 'drop-table',
};

/** What the encoder writes for each control operation. */
const CONTROL_OPERATION_NAMES: Readonly<Record<ControlOperation, string>> = {
  'create-table': 'create-table',
  'drop-table': 'drop-table',
  truncate: 'truncate-table',
  'rename-table': 'rename-table',
  'add-column': 'add-column',
  'drop-column': 'drop-column',
  'change-columns': 'change-columns',
};

const PARTITION_KEY_TYPES = new Set(['schema-table', 'transaction-id', 'primary-key', 'constant', 'attribute-name', 'task-id']);

/** The extra metadata field carrying the commit LSN (`0/16B3748`) in this project's messages. */
export const COMMIT_LSN_FIELD = 'commit-lsn';

export interface DmsKinesisParseOptions {
  /** Source tables for canonical values and key columns; default shop.json's. */
  readonly tables?: SourceTables;
  /** `BeforeImageSettings.FieldName`; default `before-image`. */
  readonly beforeImageField?: string;
  /** `add-before-image-columns` naming; default prefix `BI_`, no suffix. */
  readonly beforeImageColumns?: BeforeImageColumnNaming;
  /** Position for row changes that carry none (messages without transaction details). */
  readonly fallbackPosition?: ChangePosition;
}

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

const fail = (field: string | undefined, reason: string): never => {
  throw new ChangeFormatError(FORMAT, field, reason);
};

const kindOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`);

function requiredString(metadata: JsonObject, name: string, allowEmpty: boolean): string {
  const value = metadata[name];
  if (typeof value !== 'string') return fail(`metadata.${name}`, `expected a string, got ${value === undefined ? 'nothing' : kindOf(value)}`);
  if (!allowEmpty && value === '') return fail(`metadata.${name}`, 'expected a non-empty string');
  return value;
}

function optionalTimestamp(metadata: JsonObject, name: string): string | undefined {
  const value = metadata[name];
  if (value === undefined || value === null) return undefined;
  try {
    return parseTimestamptz(value);
  } catch (error) {
    if (error instanceof PgValueError) return fail(`metadata.${name}`, error.message);
    throw error;
  }
}

/** An id DMS writes as a JSON number (or, past 2^53, as our exact parser's literal string). */
function optionalId(metadata: JsonObject, name: string): string | undefined {
  const value = metadata[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && value !== '') return value;
  return fail(`metadata.${name}`, `expected a transaction id (number or string), got ${kindOf(value)}`);
}

function recordSequence(metadata: JsonObject, required: boolean): number {
  const value = metadata['transaction-record-id'];
  if (value === undefined || value === null) {
    return required ? fail('metadata.transaction-record-id', 'required with a commit position (DMS writes it with IncludeTransactionDetails)') : 0;
  }
  const id = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) return fail('metadata.transaction-record-id', `expected an integer ≥ 1 (DMS numbers a transaction's records from 1), got ${kindOf(value)}`);
  return id - 1;
}

function commitLsn(metadata: JsonObject): string | undefined {
  const value = metadata[COMMIT_LSN_FIELD];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return fail(`metadata.${COMMIT_LSN_FIELD}`, `expected a PostgreSQL LSN like "0/16B3748", got ${kindOf(value)}`);
  try {
    return lsnToCommitPosition(value);
  } catch {
    return fail(`metadata.${COMMIT_LSN_FIELD}`, `expected a PostgreSQL LSN like "0/16B3748", got ${JSON.stringify(value)}`);
  }
}

function positionOf(metadata: JsonObject, isLoad: boolean, isControl: boolean, fallback: ChangePosition | undefined): ChangePosition {
  const lsn = commitLsn(metadata);
  if (lsn !== undefined) return { commit: lsn, sequence: recordSequence(metadata, !isLoad && !isControl) };
  if (isLoad) return SNAPSHOT_POSITION;
  const commitTimestamp = optionalTimestamp(metadata, 'commit-timestamp');
  if (commitTimestamp !== undefined) return { commit: commitTimestamp, sequence: recordSequence(metadata, !isControl) };
  if (isControl) {
    const built = optionalTimestamp(metadata, 'timestamp');
    if (built !== undefined) return { commit: built, sequence: 0 };
  }
  if (fallback) return fallback;
  return fail('metadata.commit-timestamp', 'no commit position: the message has neither commit-lsn nor commit-timestamp (enable IncludeTransactionDetails on the DMS endpoint)');
}

function rawImage(message: JsonObject, field: string): JsonObject {
  const value = message[field];
  if (!isObject(value)) return fail(field, `expected an object, got ${value === undefined ? 'nothing' : kindOf(value)}`);
  return value;
}

/**
 * Parses one DMS Kinesis record (its data bytes, the JSON text, or the parsed object) into a
 * ChangeEvent. Values of known source tables become canonical; unknown tables keep their JSON
 * values (a number a double cannot hold exactly stays its literal text). Every malformed
 * message is a ChangeFormatError naming the field.
 */
export function parseDmsKinesisMessage(input: Uint8Array | string | object, options: DmsKinesisParseOptions = {}): ChangeEvent {
  const message = input instanceof Uint8Array || typeof input === 'string' ? parseExactJson(input, FORMAT) : input;
  if (!isObject(message)) return fail(undefined, `expected a JSON object, got ${kindOf(message)}`);
  const metadata = message.metadata;
  if (!isObject(metadata)) return fail('metadata', `expected an object, got ${metadata === undefined ? 'nothing' : kindOf(metadata)}`);
  const recordType = metadata['record-type'];
  if (recordType !== 'data' && recordType !== 'control') return fail('metadata.record-type', `expected one of data|control, got ${recordType === undefined ? 'nothing' : JSON.stringify(recordType)}`);
  const partitionKeyType = metadata['partition-key-type'];
  if (partitionKeyType !== undefined && (typeof partitionKeyType !== 'string' || !PARTITION_KEY_TYPES.has(partitionKeyType))) {
    return fail('metadata.partition-key-type', `expected one of ${[...PARTITION_KEY_TYPES].join('|')}, got ${JSON.stringify(partitionKeyType)}`);
  }
  const operation = metadata.operation;
  const transactionId = optionalId(metadata, 'transaction-id');
  const commitTimestamp = optionalTimestamp(metadata, 'commit-timestamp');
  optionalTimestamp(metadata, 'timestamp');

  if (recordType === 'control') {
    const controlOperation = typeof operation === 'string' ? CONTROL_OPERATIONS[operation] : undefined;
    if (controlOperation === undefined) {
      return fail('metadata.operation', `expected one of ${Object.keys(CONTROL_OPERATIONS).join('|')} for a control record, got ${operation === undefined ? 'nothing' : JSON.stringify(operation)}`);
    }
    if (message.control !== undefined && !isObject(message.control)) return fail('control', `expected an object, got ${kindOf(message.control)}`);
    return {
      kind: 'control',
      operation: controlOperation,
      schema: requiredString(metadata, 'schema-name', true),
      table: requiredString(metadata, 'table-name', true),
      position: positionOf(metadata, false, true, options.fallbackPosition),
      transactionId,
      commitTimestamp,
    };
  }

  if (typeof operation !== 'string' || !(DMS_DATA_OPERATIONS as readonly string[]).includes(operation)) {
    return fail('metadata.operation', `expected one of ${DMS_DATA_OPERATIONS.join('|')}, got ${operation === undefined ? 'nothing' : JSON.stringify(operation)}`);
  }
  const rowOperation = operation as RowOperation;
  const schema = requiredString(metadata, 'schema-name', false);
  const tableName = requiredString(metadata, 'table-name', false);
  const table = sourceTable(schema, tableName, options.tables ?? shopTables);
  const naming = options.beforeImageColumns ?? DEFAULT_BEFORE_IMAGE_COLUMNS;
  const beforeField = options.beforeImageField ?? 'before-image';

  // Split `BI_` columns off the row.
  const data = rawImage(message, 'data');
  const rowValues: JsonObject = {};
  const beforeValues: JsonObject = {};
  for (const [key, value] of Object.entries(data)) {
    const beforeColumn = beforeImageColumnOf(key, naming, table);
    if (beforeColumn === undefined) rowValues[key] = value;
    else beforeValues[beforeColumn] = value;
  }
  const beforeImage = message[beforeField];
  if (beforeImage !== undefined && beforeImage !== null && !isObject(beforeImage)) return fail(beforeField, `expected an object, got ${kindOf(beforeImage)}`);

  const row = imageOf(rowValues, table, FORMAT, 'data', rowOperation !== 'delete');
  let before: RowImage | undefined;
  let after: RowImage | undefined;
  if (rowOperation === 'delete') {
    before = row;
  } else {
    after = row;
    if (rowOperation === 'update') {
      const fromField = isObject(beforeImage) ? imageOf(beforeImage, table, FORMAT, beforeField, false) : {};
      // BI_ columns of inserts and loads are empty; only updates carry before values in them.
      const merged = { ...fromField, ...imageOf(beforeValues, table, FORMAT, 'data', false) };
      before = Object.keys(merged).length > 0 ? merged : undefined;
    }
  }
  const change: RowChange = {
    kind: 'row',
    operation: rowOperation,
    schema,
    table: tableName,
    after,
    before,
    keyColumns: table?.keyColumns,
    position: positionOf(metadata, rowOperation === 'load', false, options.fallbackPosition),
    transactionId,
    commitTimestamp,
  };
  return change;
}

// ——— encoding ———

export interface DmsKinesisEncodeOptions {
  /** DMS's `MessageFormat`: `json` (DMS's default: indented with tabs) or `json-unformatted` (one line and a newline). */
  readonly messageFormat?: 'json' | 'json-unformatted';
  /** `PartitionIncludeSchemaTable`: prefix the key value with `schema.table.` (default true). */
  readonly partitionIncludeSchemaTable?: boolean;
  /** `IncludePartitionValue`: write `partition-key-value` into the metadata (default true). */
  readonly includePartitionValue?: boolean;
  /** `IncludeNullAndEmpty`: write NULL columns (default true; DMS's default is false). */
  readonly includeNullAndEmpty?: boolean;
  /** `BeforeImageSettings.FieldName` for updates' before images (default `before-image`). */
  readonly beforeImageField?: string;
  /** The task id DMS puts in control records' partition key (`TaskId.schema.table`); default `shardline`. */
  readonly taskId?: string;
  /** When the message is built (`metadata.timestamp`); default now. */
  readonly timestamp?: Date;
  /** The previous transaction, for `prev-transaction-id` / `prev-transaction-record-id`. */
  readonly previousTransaction?: { readonly transactionId: string; readonly recordId: number };
  readonly tables?: SourceTables;
}

export interface EncodedKinesisRecord {
  /** The record's `Data`. */
  readonly data: Buffer;
  /** The record's `PartitionKey`. */
  readonly partitionKey: string;
}

/** Kinesis partition keys are 1–256 Unicode characters. */
const MAX_PARTITION_KEY_CHARS = 256;

/** A canonical value as DMS writes it in JSON. */
function dmsJsonValue(value: ColumnValue, table: SourceTable | undefined, column: string): unknown {
  const type = table?.columnsByName.get(column)?.type;
  if (value === null || !type) return value;
  if ((type.kind === 'bigint' || type.kind === 'numeric') && typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return new JsonNumberText(value);
  return value;
}

/** `2026-11-25T22:00:00.123Z`-style time with microseconds, as DMS prints `timestamp`. */
const isoMicros = (date: Date): string => `${date.toISOString().slice(0, -1)}000Z`;

/** A key value in the partition key: strings as they are, numbers and booleans as text. */
const keyText = (value: ColumnValue | undefined, column: string): string => {
  if (value === undefined || value === null) throw new RangeError(`key column ${column} has no value`);
  return String(value);
};

function validateImage(image: RowImage, table: SourceTable | undefined, path: string, checkNullability: boolean): void {
  if (!table) return;
  for (const name of orderedColumns(image, table)) {
    const column = table.columnsByName.get(name)!;
    const value = image[name]!;
    if (value === null && checkNullability && !column.nullable) throw new RangeError(`${path}.${name}: null in NOT NULL column`);
    assertCanonical(column, value, `${path}.${name}`);
  }
}

function jsonImage(image: RowImage, table: SourceTable | undefined, includeNulls: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of orderedColumns(image, table)) {
    const value = image[name]!;
    if (value === null && !includeNulls) continue;
    out[name] = dmsJsonValue(value, table, name);
  }
  return out;
}

/** Transaction details, as DMS adds them with `IncludeTransactionDetails`, plus the commit LSN. */
function transactionDetails(change: ChangeEvent, options: DmsKinesisEncodeOptions): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  const { commit, sequence } = change.position;
  if (!Number.isSafeInteger(sequence) || sequence < 0) throw new RangeError(`position.sequence must be an integer ≥ 0, got ${sequence}`);
  const atSnapshot = commit === SNAPSHOT_COMMIT && sequence === 0;
  const lsnDomain = isLsnCommit(commit);
  if (!lsnDomain) {
    let commitTime: string | undefined;
    try {
      commitTime = parseTimestamptz(commit);
    } catch {
      commitTime = undefined;
    }
    if (commitTime !== commit) throw new RangeError(`position.commit is neither an LSN position nor a canonical commit time: ${JSON.stringify(commit)}`);
    if (change.commitTimestamp !== undefined && change.commitTimestamp !== commit) {
      throw new RangeError(`commitTimestamp ${change.commitTimestamp} differs from the commit-time position ${commit}`);
    }
  }
  const loadAtSnapshot = change.kind === 'row' && change.operation === 'load' && atSnapshot;
  if (loadAtSnapshot) {
    // DMS writes no transaction details for full-load rows; a known commit time is kept anyway.
    if (change.commitTimestamp !== undefined) details['commit-timestamp'] = parseTimestamptz(change.commitTimestamp);
    return details;
  }
  if (change.kind === 'row' && change.operation === 'load' && !lsnDomain) {
    throw new RangeError('a load row outside the snapshot position needs an LSN position (DMS loads carry no commit time)');
  }
  details['transaction-record-id'] = sequence + 1;
  if (options.previousTransaction) {
    details['prev-transaction-id'] = idValue(options.previousTransaction.transactionId);
    details['prev-transaction-record-id'] = options.previousTransaction.recordId;
  }
  const commitTimestamp = lsnDomain ? change.commitTimestamp : commit;
  if (commitTimestamp !== undefined) details['commit-timestamp'] = parseTimestamptz(commitTimestamp);
  if (lsnDomain) details[COMMIT_LSN_FIELD] = commitPositionToLsn(commit);
  return details;
}

/** Transaction ids as DMS writes them: JSON numbers (exact), or strings when not numeric. */
const idValue = (id: string): unknown => (/^\d+$/.test(id) ? new JsonNumberText(id) : id);

function serialise(message: Record<string, unknown>, format: 'json' | 'json-unformatted'): Buffer {
  return Buffer.from(format === 'json' ? stringifyExactJson(message, '\t') : `${stringifyExactJson(message)}\n`, 'utf8');
}

function checkedPartitionKey(key: string): string {
  const length = [...key].length;
  if (length < 1 || length > MAX_PARTITION_KEY_CHARS) throw new RangeError(`partition key must be 1–${MAX_PARTITION_KEY_CHARS} characters, got ${length}`);
  return key;
}

/**
 * Encodes a change as DMS would write it to Kinesis, with the record's partition key: DMS's
 * `primary-key` partition key type with `PartitionIncludeSchemaTable` (`shop.customers.42`; the
 * key columns joined with `.` when there are several), so every change of one row lands on one
 * shard in order. Tables without known key columns use `schema-table` (`shop.t`). Control records
 * use DMS's `TaskId.schema.table`. Values must already be canonical (RangeError otherwise).
 */
export function encodeDmsKinesisMessage(change: ChangeEvent, options: DmsKinesisEncodeOptions = {}): EncodedKinesisRecord {
  const format = options.messageFormat ?? 'json';
  const timestamp = isoMicros(options.timestamp ?? new Date());
  const details = transactionDetails(change, options);
  const transactionId = change.transactionId === undefined ? {} : { 'transaction-id': idValue(change.transactionId) };

  if (change.kind === 'control') {
    const partitionKey = checkedPartitionKey(`${options.taskId ?? 'shardline'}.${change.schema}.${change.table}`);
    const metadata = {
      timestamp,
      'record-type': 'control',
      operation: CONTROL_OPERATION_NAMES[change.operation],
      'partition-key-type': 'task-id',
      ...(options.includePartitionValue === false ? {} : { 'partition-key-value': partitionKey }),
      'schema-name': change.schema,
      'table-name': change.table,
      ...transactionId,
      ...details,
    };
    return { data: serialise({ metadata }, format), partitionKey };
  }

  const table = sourceTable(change.schema, change.table, options.tables ?? shopTables);
  const image = change.operation === 'delete' ? change.before : change.after;
  if (!image) throw new RangeError(`a ${change.operation} needs ${change.operation === 'delete' ? 'a before' : 'an after'} image`);
  validateImage(image, table, change.operation === 'delete' ? 'before' : 'after', change.operation !== 'delete');
  if (change.operation === 'update' && change.before) validateImage(change.before, table, 'before', false);

  const keyColumns = table?.keyColumns ?? change.keyColumns;
  const byKey = keyColumns !== undefined && keyColumns.length > 0;
  const keyValue = byKey ? keyColumns.map((c) => keyText(image[c], c)).join('.') : '';
  const partitionKey = checkedPartitionKey(
    !byKey ? `${change.schema}.${change.table}` : options.partitionIncludeSchemaTable === false ? keyValue : `${change.schema}.${change.table}.${keyValue}`,
  );
  const metadata = {
    timestamp,
    'record-type': 'data',
    operation: change.operation,
    'partition-key-type': byKey ? 'primary-key' : 'schema-table',
    ...(options.includePartitionValue === false || !byKey ? {} : { 'partition-key-value': partitionKey }),
    'schema-name': change.schema,
    'table-name': change.table,
    ...transactionId,
    ...details,
  };
  const includeNulls = options.includeNullAndEmpty ?? true;
  const message: Record<string, unknown> = { data: jsonImage(image, table, includeNulls), metadata };
  if (change.operation === 'update' && change.before && Object.keys(change.before).length > 0) {
    message[options.beforeImageField ?? 'before-image'] = jsonImage(change.before, table, true);
  }
  return { data: serialise(message, format), partitionKey };
}

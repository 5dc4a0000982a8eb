/**
 * Debezium change events (the PostgreSQL connector's), parsed into ChangeEvents.
 *
 * The envelope is `{ before, after, source, op, ts_ms }`, or `{ schema, payload }` around it when
 * Kafka Connect's JSON converter has `schemas.enable=true`. `op`: `c` create, `u` update, `d`
 * delete, `r` snapshot read (→ `load`), `t` truncate (→ a `truncate` control change), `m` a
 * logical decoding message (not a row change: {@link DebeziumLogicalMessageError}).
 * `source` (PostgreSQL): `db`, `schema`, `table`, `txId`, `lsn` (the change's LSN as a number),
 * `ts_ms`/`ts_us` (commit time), `snapshot`, `sequence` (`["<last commit LSN>","<LSN>"]`).
 * Sources: Debezium's PostgreSQL connector documentation (change events, data type mappings).
 *
 * Position: Debezium carries no commit LSN per event, so `commit` is the change's own LSN
 * (`source.lsn`, in the LSN form) and `sequence` 0. A row's changes are ordered by it: a later
 * transaction can change a row only after the earlier one's commit, so its change has a higher
 * LSN. Snapshot reads sit at the snapshot position. A stream of Debezium events is its own
 * stream: these positions are not commit LSNs and do not mix with the DMS capture's.
 *
 * Values: `numeric` arrives per `decimal.handling.mode`: `precise` (Kafka Connect `Decimal`:
 * base64 of the big-endian two's-complement unscaled value, scale in the field's schema
 * parameters; or `io.debezium.data.VariableScaleDecimal` `{ scale, value }` for unconstrained
 * numerics), `string` (`"12.50"`) or `double` (a JSON number, already rounded by Debezium).
 * Without a schema in the message, `precise` takes the scale from source-tables.ts.
 * `timestamptz` is `io.debezium.time.ZonedTimestamp`, an ISO-8601 string. `int8` is a JSON
 * number, read exactly. Unchanged TOASTed columns carry Debezium's placeholder
 * (`__debezium_unavailable_value`); such columns are left out of the image (not sent).
 */
import type { ChangeEvent, ChangePosition, ColumnValue, RowChange, RowImage } from '../change-event';
import { ChangeFormatError } from '../change-event';
import type { SourceTable, SourceTables } from '../source-tables';
import { canonicalValue, shopTables, sourceTable } from '../source-tables';
import { parseExactJson } from './exact-json';
import { epochToTimestamp, PgValueError, unscaledBytesToDecimal } from './pg-values';
import { lsnNumberToCommitPosition, SNAPSHOT_POSITION } from './positions';

const FORMAT = 'debezium';

/** An `op: "m"` event: a `pg_logical_emit_message` message, which is not a change of a row. */
export class DebeziumLogicalMessageError extends ChangeFormatError {
  constructor(readonly prefix: string | undefined) {
    super(FORMAT, 'op', `"m" is a logical decoding message${prefix === undefined ? '' : ` (prefix ${JSON.stringify(prefix)})`}, not a row change`);
  }
}

export interface DebeziumParseOptions {
  readonly tables?: SourceTables;
  /** The connector's `decimal.handling.mode`, for messages without a schema (default `string`). */
  readonly decimalHandlingMode?: 'precise' | 'string' | 'double';
  /** Debezium's `unavailable.value.placeholder` (default `__debezium_unavailable_value`). */
  readonly unavailableValuePlaceholder?: string;
  /** Position for non-snapshot events without `source.lsn`. */
  readonly fallbackPosition?: ChangePosition;
}

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const kindOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`);
const fail = (field: string | undefined, reason: string): never => {
  throw new ChangeFormatError(FORMAT, field, reason);
};

const OPS = ['c', 'u', 'd', 'r', 't', 'm'] as const;
const ROW_OPS: Readonly<Record<string, RowChange['operation']>> = { c: 'insert', u: 'update', d: 'delete', r: 'load' };

const DECIMAL = 'org.apache.kafka.connect.data.Decimal';
const VARIABLE_SCALE_DECIMAL = 'io.debezium.data.VariableScaleDecimal';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** What the message's schema says about a column (Kafka Connect field schema). */
interface FieldSchema {
  readonly name: string | undefined;
  readonly scale: number | undefined;
}

/** Column schemas of the `before`/`after` structs, from `{ schema, payload }` messages. */
function fieldSchemas(schema: unknown, path: string): Map<string, FieldSchema> {
  const columns = new Map<string, FieldSchema>();
  if (!isObject(schema)) return columns;
  if (!Array.isArray(schema.fields)) return fail(path, 'expected a struct schema with fields');
  for (const envelopeField of schema.fields) {
    if (!isObject(envelopeField) || (envelopeField.field !== 'before' && envelopeField.field !== 'after') || !Array.isArray(envelopeField.fields)) continue;
    for (const column of envelopeField.fields) {
      if (!isObject(column) || typeof column.field !== 'string') continue;
      const parameters = isObject(column.parameters) ? column.parameters : {};
      const scale = parameters.scale === undefined ? undefined : Number(parameters.scale);
      columns.set(column.field, { name: typeof column.name === 'string' ? column.name : undefined, scale: scale !== undefined && Number.isInteger(scale) ? scale : undefined });
    }
  }
  return columns;
}

function base64Decimal(value: unknown, scale: number, field: string): string {
  if (typeof value !== 'string' || !BASE64.test(value)) return fail(field, `expected base64 of a Decimal's unscaled value, got ${kindOf(value)}`);
  try {
    return unscaledBytesToDecimal(Buffer.from(value, 'base64'), scale);
  } catch (error) {
    if (error instanceof PgValueError) return fail(field, error.message);
    throw error;
  }
}

interface ValueContext {
  readonly table: SourceTable | undefined;
  readonly schemas: Map<string, FieldSchema>;
  readonly mode: 'precise' | 'string' | 'double';
}

/** Debezium's logical-type encodings to a plain value, before the column's canonicalisation. */
function decodeValue(name: string, value: unknown, context: ValueContext, field: string): unknown {
  const schema = context.schemas.get(name);
  if (isObject(value) && (schema?.name === VARIABLE_SCALE_DECIMAL || (schema === undefined && 'scale' in value && 'value' in value))) {
    const scale = value.scale;
    if (typeof scale !== 'number' || !Number.isInteger(scale)) return fail(`${field}.scale`, `expected an integer, got ${kindOf(scale)}`);
    return base64Decimal(value.value, scale, `${field}.value`);
  }
  if (schema?.name === DECIMAL) {
    if (schema.scale === undefined) return fail(field, 'Decimal schema without a scale parameter');
    return value === null ? null : base64Decimal(value, schema.scale, field);
  }
  const column = context.table?.columnsByName.get(name);
  if (schema === undefined && context.mode === 'precise' && column?.type.kind === 'numeric' && value !== null) {
    if (column.type.scale === undefined) return fail(field, 'precise decimals of an unconstrained numeric need the message schema');
    return base64Decimal(value, column.type.scale, field);
  }
  return value;
}

function image(raw: unknown, path: string, context: ValueContext, placeholder: string, checkNullability: boolean): RowImage {
  if (!isObject(raw)) return fail(path, `expected an object, got ${raw === undefined ? 'nothing' : kindOf(raw)}`);
  const row: Record<string, ColumnValue> = {};
  for (const [name, rawValue] of Object.entries(raw)) {
    const field = `${path}.${name}`;
    if (rawValue === placeholder) continue;
    const value = decodeValue(name, rawValue, context, field);
    const { table } = context;
    if (table) {
      const column = table.columnsByName.get(name);
      if (!column) return fail(field, `not a column of ${table.schema}.${table.table}`);
      if (value === null && checkNullability && !column.nullable) return fail(field, `null in NOT NULL column ${name}`);
      row[name] = canonicalValue(column.type, value, { format: FORMAT, field });
    } else if (value === null || typeof value === 'string' || typeof value === 'boolean') {
      row[name] = value;
    } else if (typeof value === 'number') {
      row[name] = value;
    } else {
      return fail(field, `expected a string, number, boolean or null, got ${kindOf(value)}`);
    }
  }
  return row;
}

function stringField(source: JsonObject, name: string): string {
  const value = source[name];
  if (typeof value !== 'string' || value === '') return fail(`source.${name}`, `expected a non-empty string, got ${value === undefined ? 'nothing' : kindOf(value)}`);
  return value;
}

function integerField(source: JsonObject, name: string): bigint | undefined {
  const value = source[name];
  if (value === undefined || value === null) return undefined;
  if ((typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) || (typeof value === 'string' && /^\d+$/.test(value))) return BigInt(value);
  return fail(`source.${name}`, `expected a non-negative integer, got ${kindOf(value)}`);
}

function commitTimestampOf(source: JsonObject): string | undefined {
  const micros = integerField(source, 'ts_us');
  const millis = micros === undefined ? integerField(source, 'ts_ms') : undefined;
  try {
    if (micros !== undefined) return epochToTimestamp(micros, 'us');
    if (millis !== undefined) return epochToTimestamp(millis, 'ms');
  } catch (error) {
    if (error instanceof PgValueError) return fail(micros !== undefined ? 'source.ts_us' : 'source.ts_ms', error.message);
    throw error;
  }
  return undefined;
}

/**
 * Parses one Debezium event (the Kafka record value's bytes, JSON text, or parsed object) into a
 * ChangeEvent. Malformed events are ChangeFormatErrors naming the field (`op`, `source.lsn`,
 * `after.balance`, …); `op: "m"` is a {@link DebeziumLogicalMessageError}.
 */
export function parseDebeziumEnvelope(input: Uint8Array | string | object, options: DebeziumParseOptions = {}): ChangeEvent {
  let message = input instanceof Uint8Array || typeof input === 'string' ? parseExactJson(input, FORMAT) : input;
  if (message === null) return fail(undefined, 'a tombstone (null value) is not a change event');
  if (!isObject(message)) return fail(undefined, `expected a JSON object, got ${kindOf(message)}`);
  let schemas = new Map<string, FieldSchema>();
  let prefix = '';
  if ('payload' in message && 'schema' in message) {
    if (message.payload === null) return fail('payload', 'a tombstone (null payload) is not a change event');
    schemas = fieldSchemas(message.schema, 'schema');
    if (!isObject(message.payload)) return fail('payload', `expected an object, got ${kindOf(message.payload)}`);
    message = message.payload;
    prefix = 'payload.';
  }
  const envelope = message as JsonObject;
  const op = envelope.op;
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) {
    return fail(`${prefix}op`, `expected one of ${OPS.join('|')}, got ${op === undefined ? 'nothing' : JSON.stringify(op)}`);
  }
  if (op === 'm') {
    const logical = envelope.message;
    throw new DebeziumLogicalMessageError(isObject(logical) && typeof logical.prefix === 'string' ? logical.prefix : undefined);
  }
  const source = envelope.source;
  if (!isObject(source)) return fail(`${prefix}source`, `expected an object, got ${source === undefined ? 'nothing' : kindOf(source)}`);
  const schema = stringField(source, 'schema');
  const tableName = stringField(source, 'table');
  const txId = integerField(source, 'txId');
  const transactionId = txId === undefined ? undefined : txId.toString();
  const lsn = integerField(source, 'lsn');
  let position: ChangePosition;
  if (op === 'r') position = SNAPSHOT_POSITION;
  else if (lsn !== undefined) position = { commit: lsnNumberToCommitPosition(lsn), sequence: 0 };
  else if (options.fallbackPosition) position = options.fallbackPosition;
  else return fail(`${prefix}source.lsn`, 'required for a change outside the snapshot');
  const commitTimestamp = op === 'r' ? undefined : commitTimestampOf(source);

  if (op === 't') {
    return { kind: 'control', operation: 'truncate', schema, table: tableName, position, transactionId, commitTimestamp };
  }
  const table = sourceTable(schema, tableName, options.tables ?? shopTables);
  const context: ValueContext = { table, schemas, mode: options.decimalHandlingMode ?? 'string' };
  const placeholder = options.unavailableValuePlaceholder ?? '__debezium_unavailable_value';
  const operation = ROW_OPS[op]!;
  const hasBefore = envelope.before !== undefined && envelope.before !== null;
  const after = operation === 'delete' ? undefined : image(envelope.after, `${prefix}after`, context, placeholder, true);
  const before = operation === 'delete' || hasBefore ? image(envelope.before, `${prefix}before`, context, placeholder, false) : undefined;
  return {
    kind: 'row',
    operation,
    schema,
    table: tableName,
    after,
    before: operation === 'load' || operation === 'insert' ? undefined : before,
    keyColumns: table?.keyColumns,
    position,
    transactionId,
    commitTimestamp,
  };
}


/**
 * A reading as DynamoDB items: the history item (every schema field, plus its TTL) and the device
 * state item (every schema field, plus the numeric timestamp the monotonic condition compares).
 * AttributeValues are written by hand from a plan derived once from schemas/telemetry.json — a
 * dozen known fields do not need a generic marshaller on the hot path.
 *
 * Everything DynamoDB would refuse about the value itself is found here, before any request: an
 * item over 400 KB, a number outside DynamoDB's range. One such item inside a BatchWriteItem
 * would fail the whole request, so it is reported as a `permanent` failure instead of sent.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ColumnKind } from '../../schemas/dataset-schema';
import { getSchema } from '../../schemas/registry';
import type { Reading } from '../../telemetry/reading';
import { MAX_ITEM_BYTES, numberBytes } from './item-size';
import { EXPIRES_AT } from './tables';

/** The state item's numeric copy of `timestamp` (ms since the epoch), compared by its condition. */
export const TIMESTAMP_MS = 'timestamp_ms';
/** When the sink wrote a state or aggregate item (ISO-8601 UTC, from the sink's clock). */
export const UPDATED_AT = 'updated_at';

/** Why a reading cannot be stored: DynamoDB would reject its value. */
export type RejectionCode = 'ItemTooLarge' | 'NumberOutOfRange' | 'InvalidValue';

/** A reading turned into its history item, or why it cannot be. */
export type PreparedReading =
  | { readonly ok: true; readonly item: Record<string, AttributeValue>; readonly bytes: number }
  | { readonly ok: false; readonly code: RejectionCode; readonly message: string };

interface FieldPlan {
  readonly name: string;
  readonly type: 'S' | 'N' | 'BOOL';
  readonly nullable: boolean;
  readonly nameBytes: number;
}

const TYPE_OF_KIND: Readonly<Record<ColumnKind, FieldPlan['type']>> = { string: 'S', timestamp: 'S', integer: 'N', number: 'N', boolean: 'BOOL' };

let plan: readonly FieldPlan[] | undefined;
const fieldPlan = (): readonly FieldPlan[] =>
  (plan ??= getSchema('telemetry').columns.map((column) => ({
    name: column.name,
    type: TYPE_OF_KIND[column.kind],
    nullable: column.nullable,
    nameBytes: Buffer.byteLength(column.name, 'utf8'),
  })));

/** The nullable numeric fields of the schema (`pressure_hpa`): an aggregate counts their values apart. */
export const nullableNumericFields = (): ReadonlySet<string> =>
  new Set(fieldPlan().filter((field) => field.type === 'N' && field.nullable).map((field) => field.name));

/** DynamoDB numbers: magnitudes from 1E-130 to under 1E+126 (and zero), at most 38 significant digits. */
export function dynamoNumber(value: number): string | undefined {
  const magnitude = Math.abs(value);
  if (!Number.isFinite(value) || (magnitude !== 0 && magnitude < 1e-130) || magnitude >= 1e126) return undefined;
  // A double's shortest text has at most 17 significant digits; DynamoDB takes `1e-7` as written.
  return String(value);
}

const SECONDS_PER_DAY = 86_400;

/**
 * The history item of a reading: every schema field (`timestamp` is the normalised UTC text, the
 * sort key), and `expires_at` = the reading's time + the retention, so the same reading always
 * makes the same item (a replay rewrites it byte for byte).
 */
export function prepareReadingItem(reading: Reading, retentionDays: number): PreparedReading {
  const item: Record<string, AttributeValue> = {};
  const fields = reading as unknown as Readonly<Record<string, unknown>>;
  // The size is counted while building (the same rules as itemBytes), saving a second pass.
  let bytes = 0;
  for (const field of fieldPlan()) {
    const value = fields[field.name];
    bytes += field.nameBytes;
    if (value === null && field.nullable) {
      item[field.name] = { NULL: true };
      bytes += 1;
    } else if (field.type === 'N' && typeof value === 'number') {
      const text = dynamoNumber(value);
      if (text === undefined) return { ok: false, code: 'NumberOutOfRange', message: `${field.name} = ${value} is outside DynamoDB's number range (1E-130 to 1E+126)` };
      item[field.name] = { N: text };
      bytes += numberBytes(text);
    } else if (field.type === 'S' && typeof value === 'string') {
      item[field.name] = { S: value };
      bytes += Buffer.byteLength(value, 'utf8');
    } else if (field.type === 'BOOL' && typeof value === 'boolean') {
      item[field.name] = { BOOL: value };
      bytes += 1;
    } else {
      return { ok: false, code: 'InvalidValue', message: `${field.name}: expected ${field.type}${field.nullable ? ' or null' : ''}, got ${value === null ? 'null' : typeof value}` };
    }
  }
  const expiresAt = String(Math.floor(reading.timestampMs / 1000) + retentionDays * SECONDS_PER_DAY);
  item[EXPIRES_AT] = { N: expiresAt };
  bytes += EXPIRES_AT.length + numberBytes(expiresAt);
  // The state item drops expires_at and adds timestamp_ms and updated_at: both must fit.
  const stateBytes = bytes - EXPIRES_AT.length - numberBytes(expiresAt) + STATE_EXTRA_NAME_BYTES + numberBytes(String(reading.timestampMs)) + ISO_TIMESTAMP_BYTES;
  const largest = Math.max(bytes, stateBytes);
  if (largest > MAX_ITEM_BYTES) {
    return { ok: false, code: 'ItemTooLarge', message: `the item would be ${largest} bytes; DynamoDB stores at most 400 KB (${MAX_ITEM_BYTES} bytes)` };
  }
  return { ok: true, item, bytes };
}

const STATE_EXTRA_NAME_BYTES = TIMESTAMP_MS.length + UPDATED_AT.length;
const ISO_TIMESTAMP_BYTES = '2026-01-01T00:00:00.000Z'.length;

/**
 * The device state item for a reading's history item: the same fields without the TTL (a
 * device's latest state stays until it reports again), `timestamp_ms` for the condition, and
 * when it was written.
 */
export function deviceStateItem(historyItem: Readonly<Record<string, AttributeValue>>, reading: Reading, updatedAt: string): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {};
  for (const name in historyItem) if (name !== EXPIRES_AT) item[name] = historyItem[name]!;
  item[TIMESTAMP_MS] = { N: String(reading.timestampMs) };
  item[UPDATED_AT] = { S: updatedAt };
  return item;
}

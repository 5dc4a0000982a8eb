/**
 * Checks one parsed NDJSON value against a dataset schema, in the terms the Parquet columns
 * need: an object with only the schema's properties, each of the column's JSON type (integers
 * exactly representable, timestamps ISO-8601), `null` only where the column is nullable. A
 * missing nullable property counts as `null`. The schema's value rules (enums, patterns,
 * ranges) were enforced upstream by the Firehose transform and are not repeated here.
 *
 * {@link compileRowValidator} is the hot path (one call per NDJSON line): a single loop over the
 * columns that allocates nothing for a good row. {@link compileRowCheck} wraps it in result
 * objects for callers that check a record at a time.
 */
import type { Column, ColumnKind, DatasetSchema } from '../../schemas/dataset-schema';
import { normaliseTimestamp } from '../timestamp';

export type RowCheck =
  /** `canonical`: false when a timestamp had to be re-spelled in ISO-8601 UTC (the row holds the new spelling). */
  | { readonly ok: true; readonly row: Record<string, unknown>; readonly canonical: boolean }
  | { readonly ok: false; readonly reason: string };

/** A good row whose values were all already in their canonical spelling: its JSON text can be kept as it is. */
export const ROW_CANONICAL = 0;
/** A good row in which a timestamp was re-spelled in ISO-8601 UTC (in place): its JSON text must be rewritten. */
export const ROW_RESPELLED = 1;

/** {@link ROW_CANONICAL}, {@link ROW_RESPELLED}, or why the value is not a row (a string). */
export type RowVerdict = typeof ROW_CANONICAL | typeof ROW_RESPELLED | string;

/**
 * Checks a parsed value; re-spells timestamps in place. Returns a {@link RowVerdict}: a number
 * for a good row (no allocation), the reason for a bad one.
 */
export type RowValidator = (value: unknown) => RowVerdict;

export type RowChecker = (value: unknown) => RowCheck;

const KIND_CODES: Readonly<Record<ColumnKind, number>> = { string: 0, integer: 1, number: 2, boolean: 3, timestamp: 4 };
const STRING = 0;
const INTEGER = 1;
const NUMBER = 2;
const BOOLEAN = 3;

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Why `value` (neither `undefined` nor `null`) does not fit `column`. */
function invalidReason(column: Column, value: unknown): string {
  const name = column.name;
  switch (column.kind) {
    case 'string': return `${name}: expected a string, got ${describe(value)}`;
    case 'integer': return typeof value === 'number' && Number.isInteger(value)
      ? `${name}: integer outside ±(2^53-1), not exactly representable: ${describe(value)}`
      : `${name}: expected an integer, got ${describe(value)}`;
    case 'number': return `${name}: expected a number, got ${describe(value)}`;
    case 'boolean': return `${name}: expected true or false, got ${describe(value)}`;
    case 'timestamp': return `${name}: expected an ISO-8601 timestamp, got ${describe(value)}`;
  }
}

/** An allocation-free validator for rows of `schema` (see {@link RowValidator}). */
export function compileRowValidator(schema: DatasetSchema): RowValidator {
  const columns = schema.columns;
  const count = columns.length;
  const names = columns.map((c) => c.name);
  const kinds = Uint8Array.from(columns, (c) => KIND_CODES[c.kind]);
  const nullable = columns.map((c) => c.nullable);
  const known = new Set(names);

  /** Checks a present, non-null `field` of column `i`; re-spells a timestamp in place. */
  const checkField = (row: Record<string, unknown>, i: number, field: unknown): RowVerdict => {
    const kind = kinds[i];
    if (kind === STRING) return typeof field === 'string' ? ROW_CANONICAL : invalidReason(columns[i]!, field);
    if (kind === INTEGER) return typeof field === 'number' && Number.isSafeInteger(field) ? ROW_CANONICAL : invalidReason(columns[i]!, field);
    if (kind === NUMBER) return typeof field === 'number' ? ROW_CANONICAL : invalidReason(columns[i]!, field);
    if (kind === BOOLEAN) return typeof field === 'boolean' ? ROW_CANONICAL : invalidReason(columns[i]!, field);
    const utc = typeof field === 'string' ? normaliseTimestamp(field) : undefined;
    if (utc === undefined) return invalidReason(columns[i]!, field);
    if (utc === field) return ROW_CANONICAL;
    row[names[i]!] = utc;
    return ROW_RESPELLED;
  };

  /**
   * The common case: every column present, in schema order, and nothing else. `for…in` over a
   * parsed object walks its own keys in order through V8's enum cache (no key array, no
   * hashed lookups). Returns undefined as soon as the keys stray from that order, and the
   * general check decides: it meets the same columns in the same order, so the verdict and
   * the reason are the ones it would have given. A timestamp it re-spelled before giving up
   * is remembered in `respelledBeforeFallback` (the general check sees it already in UTC).
   */
  let respelledBeforeFallback = false;
  const inOrder = (row: Record<string, unknown>): RowVerdict | undefined => {
    let verdict: RowVerdict = ROW_CANONICAL;
    let i = 0;
    for (const key in row) {
      if (i === count || key !== names[i]) {
        respelledBeforeFallback = verdict === ROW_RESPELLED;
        return undefined;
      }
      const field = row[key];
      if (field === undefined) {
        respelledBeforeFallback = verdict === ROW_RESPELLED;
        return undefined;
      }
      if (field === null) {
        if (!nullable[i]) return `${key}: null in a non-nullable column`;
      } else {
        const checked = checkField(row, i, field);
        if (checked === ROW_RESPELLED) verdict = ROW_RESPELLED;
        else if (checked !== ROW_CANONICAL) return checked;
      }
      i++;
    }
    respelledBeforeFallback = verdict === ROW_RESPELLED;
    return i === count ? verdict : undefined;
  };

  return (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return `expected a JSON object, got ${describe(value)}`;
    const row = value as Record<string, unknown>;
    const fast = inOrder(row);
    if (fast !== undefined) return fast;
    let verdict: RowVerdict = respelledBeforeFallback ? ROW_RESPELLED : ROW_CANONICAL;
    let present = 0;
    for (let i = 0; i < count; i++) {
      const name = names[i]!;
      const field = row[name];
      if (field === undefined || field === null) {
        if (!nullable[i]) return `${name}: ${field === undefined ? 'missing' : 'null'} in a non-nullable column`;
        if (field === null) present++;
        continue;
      }
      present++;
      const checked = checkField(row, i, field);
      if (checked === ROW_RESPELLED) verdict = ROW_RESPELLED;
      else if (checked !== ROW_CANONICAL) return checked;
    }
    const keys = Object.keys(row);
    if (keys.length !== present) {
      // Not every key is a column (a key holding `undefined`, from a row built in code, is missing).
      const extra = keys.find((key) => !known.has(key));
      if (extra !== undefined) return `unknown property ${describe(extra)}`;
    }
    return verdict;
  };
}

/** A checker for rows of `schema` that returns a result object (see {@link compileRowValidator} for the hot path). */
export function compileRowCheck(schema: DatasetSchema): RowChecker {
  const validate = compileRowValidator(schema);
  return (value) => {
    const verdict = validate(value);
    if (typeof verdict === 'string') return { ok: false, reason: verdict };
    return { ok: true, row: value as Record<string, unknown>, canonical: verdict === ROW_CANONICAL };
  };
}

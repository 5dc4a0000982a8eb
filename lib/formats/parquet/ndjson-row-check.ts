/**
 * Checks one parsed NDJSON value against a dataset schema, in the terms the Parquet columns
 * need: an object with only the schema's properties, each of the column's JSON type (integers
 * exactly representable, timestamps ISO-8601), `null` only where the column is nullable. A
 * missing nullable property counts as `null`. The schema's value rules (enums, patterns,
 * ranges) were enforced upstream by the Firehose transform and are not repeated here.
 */
import type { Column, DatasetSchema } from '../../schemas/dataset-schema';
import { normaliseTimestamp } from '../timestamp';

export type RowCheck =
  /** `canonical`: false when a timestamp had to be re-spelled in ISO-8601 UTC (the row holds the new spelling). */
  | { readonly ok: true; readonly row: Record<string, unknown>; readonly canonical: boolean }
  | { readonly ok: false; readonly reason: string };

/** Returns the checked value for the column, or a reason string wrapped in an object. */
type FieldCheck = (value: unknown) => { readonly value: unknown } | { readonly invalid: string };

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function fieldCheck(column: Column): FieldCheck {
  const name = column.name;
  const ok = (value: unknown): { value: unknown } => ({ value });
  switch (column.kind) {
    case 'string':
      return (v) => (typeof v === 'string' ? ok(v) : { invalid: `${name}: expected a string, got ${describe(v)}` });
    case 'integer':
      return (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? ok(v)
        : { invalid: typeof v === 'number' && Number.isInteger(v) ? `${name}: integer outside ±(2^53-1), not exactly representable: ${describe(v)}` : `${name}: expected an integer, got ${describe(v)}` });
    case 'number':
      return (v) => (typeof v === 'number' ? ok(v) : { invalid: `${name}: expected a number, got ${describe(v)}` });
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? ok(v) : { invalid: `${name}: expected true or false, got ${describe(v)}` });
    case 'timestamp':
      return (v) => {
        const utc = typeof v === 'string' ? normaliseTimestamp(v) : undefined;
        return utc === undefined ? { invalid: `${name}: expected an ISO-8601 timestamp, got ${describe(v)}` } : ok(utc);
      };
  }
}

export type RowChecker = (value: unknown) => RowCheck;

/** A checker for rows of `schema`. */
export function compileRowCheck(schema: DatasetSchema): RowChecker {
  const columns = schema.columns;
  const checks = columns.map(fieldCheck);
  const known = new Set(columns.map((c) => c.name));
  return (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: `expected a JSON object, got ${describe(value)}` };
    const row = value as Record<string, unknown>;
    let canonical = true;
    let present = 0;
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!;
      const field = row[column.name];
      if (field === undefined || field === null) {
        if (!column.nullable) return { ok: false, reason: `${column.name}: ${field === undefined ? 'missing' : 'null'} in a non-nullable column` };
        if (field === null) present++;
        continue;
      }
      present++;
      const checked = checks[i]!(field);
      if ('invalid' in checked) return { ok: false, reason: checked.invalid };
      if (checked.value !== field) {
        row[column.name] = checked.value;
        canonical = false;
      }
    }
    if (Object.keys(row).length !== present) {
      const extra = Object.keys(row).find((key) => !known.has(key));
      return { ok: false, reason: `unknown property ${describe(extra)}` };
    }
    return { ok: true, row, canonical };
  };
}

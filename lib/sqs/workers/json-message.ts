/**
 * A message body as one JSON object checked against a dataset schema of `schemas/`: the shared
 * first half of every worker's decoder. Date-time fields are checked and normalised to UTC here,
 * since the compiled validator takes any string as a date-time (CSV rows reach it normalised).
 */
import { normaliseTimestamp } from '../../formats/timestamp';
import { getSchema } from '../../schemas/registry';
import type { RowValidator } from '../../schemas/validator';
import { compileValidator } from '../../schemas/validator';
import type { DecodeResult } from '../batch/message-outcome';

/** Compiled once per schema name, on first use. */
const validators = new Map<string, { validate: RowValidator; dateTimes: readonly string[] }>();

function validatorOf(schemaName: string): { validate: RowValidator; dateTimes: readonly string[] } {
  let entry = validators.get(schemaName);
  if (entry === undefined) {
    const schema = getSchema(schemaName);
    entry = { validate: compileValidator(schema), dateTimes: schema.columns.filter((c) => c.kind === 'timestamp').map((c) => c.name) };
    validators.set(schemaName, entry);
  }
  return entry;
}

/**
 * Parses `body` as a JSON object valid under schema `schemaName`, with its date-time fields
 * rewritten to ISO-8601 UTC with milliseconds. Not JSON or not an object: `undecodable`; against
 * the schema: `invalid`, naming the field.
 */
export function decodeJsonMessage<T>(body: string, schemaName: string): DecodeResult<T> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return { ok: false, error: { kind: 'undecodable', reason: `not JSON: ${(error as Error).message}` } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = Array.isArray(value) ? 'an array' : JSON.stringify(value);
    return { ok: false, error: { kind: 'undecodable', reason: `expected a JSON object, got ${got.length > 80 ? `${got.slice(0, 80)}…` : got}` } };
  }
  const row = value as Record<string, unknown>;
  const { validate, dateTimes } = validatorOf(schemaName);
  const violation = validate(row);
  if (violation) return { ok: false, error: { kind: 'invalid', ...(violation.field === undefined ? {} : { field: violation.field }), reason: violation.reason } };
  for (const field of dateTimes) {
    const text = row[field];
    if (typeof text !== 'string') continue;
    const normalised = normaliseTimestamp(text);
    if (normalised === undefined) return { ok: false, error: { kind: 'invalid', field, reason: `not an ISO-8601 date-time, got ${JSON.stringify(text)}` } };
    row[field] = normalised;
  }
  return { ok: true, value: row as T };
}

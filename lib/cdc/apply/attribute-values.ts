/**
 * Column values → DynamoDB AttributeValues, exactly: a PostgreSQL number (numeric, bigint,
 * integer, real …) becomes an `N` with the same decimal text (DynamoDB keeps 38 significant
 * digits, so a `numeric(14,2)` or an `int8` is stored without loss — a JS number never sits in
 * between), a boolean a `BOOL`, every other type (text, uuid, timestamps, char, json …) an `S`
 * with the text the source sent, and SQL NULL `{ NULL: true }`.
 *
 * A value that does not fit is rejected here, before any request, as a {@link ChangeRejection}
 * (`InvalidValue`): DynamoDB would refuse it, and retrying cannot help.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ColumnValue } from '../change-event';
import { ChangeRejection } from './errors';

/** The DynamoDB type a column's values are stored as. */
export type AttributeKind = 'S' | 'N' | 'BOOL';

const NUMERIC_TYPES: ReadonlySet<string> = new Set([
  'smallint', 'integer', 'int', 'bigint', 'int2', 'int4', 'int8', 'smallserial', 'serial', 'bigserial', 'serial2', 'serial4', 'serial8',
  'numeric', 'decimal', 'real', 'float4', 'float8', 'double precision', 'float',
]);

/**
 * The attribute kind of a PostgreSQL column type (`numeric(14,2)` → N, `char(2)` → S). Arrays
 * and unknown types are text. `money` is text too: PostgreSQL prints it with a currency symbol.
 */
export function attributeKindOf(pgType: string): AttributeKind {
  const base = pgType.trim().toLowerCase().replace(/\s*\(.*\)\s*/, '').replace(/\s+/g, ' ');
  if (base.endsWith('[]')) return 'S';
  if (base === 'boolean' || base === 'bool') return 'BOOL';
  return NUMERIC_TYPES.has(base) ? 'N' : 'S';
}

/** A decimal number's text as PostgreSQL and JSON write them (`-12.50`, `1e-7`, `.5`). */
const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** DynamoDB numbers: at most 38 significant digits; non-zero magnitudes from 1E-130 to below 1E+126. */
export const DYNAMODB_MAX_DIGITS = 38;

/**
 * The text to send as an `N` for a decimal text, or why DynamoDB cannot hold it. The text is
 * kept as written (DynamoDB itself trims leading and trailing zeros) except for a leading `+`.
 */
export function dynamoNumberText(text: string): { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: string } {
  const match = DECIMAL_TEXT.exec(text);
  const whole = match?.[2] ?? '';
  const fraction = match?.[3] ?? '';
  if (!match || whole.length + fraction.length === 0) return { ok: false, reason: `${JSON.stringify(text)} is not a decimal number` };
  const all = whole + fraction;
  const first = all.search(/[1-9]/);
  if (first < 0) return { ok: true, text: '0' };
  const significant = all.slice(first).replace(/0+$/, '');
  if (significant.length > DYNAMODB_MAX_DIGITS) return { ok: false, reason: `${text} has ${significant.length} significant digits; DynamoDB keeps ${DYNAMODB_MAX_DIGITS}` };
  // The power of ten of the leading significant digit.
  const magnitude = whole.length - 1 - first + Number(match[4] ?? 0);
  if (magnitude > 125 || magnitude < -130) return { ok: false, reason: `${text} is outside DynamoDB's number range (1E-130 to 9.99…E+125)` };
  return { ok: true, text: match[1] === '+' ? text.slice(1) : text };
}

/** The AttributeValue of one column value stored as `kind`, or a rejection (`InvalidValue`) naming the column. */
export function attributeValueOf(column: string, value: ColumnValue, kind: AttributeKind): AttributeValue {
  if (value === null) return { NULL: true };
  switch (kind) {
    case 'N': {
      if (typeof value === 'number') {
        if (!Number.isFinite(value)) throw new ChangeRejection('InvalidValue', `${column}: ${value} is not a number DynamoDB can store`);
        // A JS number's shortest round-trip text is exactly the number the source sent.
        value = String(value);
      }
      if (typeof value !== 'string') throw new ChangeRejection('InvalidValue', `${column}: expected a number, got ${typeof value}`);
      const number = dynamoNumberText(value);
      if (!number.ok) throw new ChangeRejection('InvalidValue', `${column}: ${number.reason}`);
      return { N: number.text };
    }
    case 'BOOL':
      if (typeof value !== 'boolean') throw new ChangeRejection('InvalidValue', `${column}: expected a boolean, got ${JSON.stringify(value)}`);
      return { BOOL: value };
    case 'S':
      if (typeof value !== 'string') throw new ChangeRejection('InvalidValue', `${column}: expected text, got ${typeof value} ${JSON.stringify(value)}`);
      return { S: value };
  }
}

/** The kind of a value of a column the table definition does not know (added since): from its JS type. */
export function inferredKind(value: ColumnValue): AttributeKind {
  return typeof value === 'number' ? 'N' : typeof value === 'boolean' ? 'BOOL' : 'S';
}

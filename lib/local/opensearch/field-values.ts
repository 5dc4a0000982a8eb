/**
 * Turning one JSON value into the value a field of a given type indexes, with OpenSearch's
 * coercion rules and its error chains (`NumberFieldMapper`, `DateFieldMapper`,
 * `BooleanFieldMapper`, `KeywordFieldMapper`):
 * - numbers accept numeric strings unless `coerce: false` (`Long value passed as String`);
 *   integer types truncate decimals (refused without coercion); out-of-range values fail;
 *   `float` values are stored at single precision;
 * - dates accept strings in the field's format, and numbers as epoch milliseconds when the
 *   format allows `epoch_millis`;
 * - booleans accept `true`/`false` and the strings `"true"`/`"false"` (`""` is null);
 * - keyword and text accept strings, numbers and booleans (as their text).
 * @see https://opensearch.org/docs/latest/field-types/supported-field-types/numeric/
 */
import { DateParseFailure, parseDate } from './dates';
import { javaCause, type ErrorCause } from './errors';
import type { JsonValue } from './json';
import type { LeafType, NumericType } from './mapping';

/** An indexed value: numbers (dates as epoch ms, booleans as themselves), or strings. */
export type IndexedValue = number | string | boolean;

/** A value the field's type cannot take: the `caused_by` of the `mapper_parsing_exception`. */
export class FieldValueError extends Error {
  override readonly name = 'FieldValueError';
  constructor(readonly errorCause: ErrorCause) {
    super(errorCause.reason);
  }
}

const fail = (type: string, reason: string, causedBy?: ErrorCause): never => {
  throw new FieldValueError(javaCause(type, reason, causedBy));
};

const JAVA_NAMES: Readonly<Record<NumericType, string>> = { long: 'Long', integer: 'Integer', short: 'Short', byte: 'Byte', double: 'Double', float: 'Float' };
const INTEGER_RANGES: Readonly<Record<'integer' | 'short' | 'byte', readonly [number, number, string]>> = {
  integer: [-2147483648, 2147483647, 'an integer'],
  short: [-32768, 32767, 'a short'],
  byte: [-128, 127, 'a byte'],
};
/** Long.MIN_VALUE and MAX_VALUE as text (a double cannot hold MAX_VALUE: it rounds to 2^63). */
const LONG_MIN_TEXT = '-9223372036854775808';
const LONG_MAX_TEXT = '9223372036854775807';
const LONG_MIN = -(2 ** 63);
const TWO_POW_63 = 2 ** 63;

const javaNumberText = (value: number): string => String(value);

/** Parses a numeric string as Java's `Double.parseDouble` would (the common forms). */
function parseJavaDouble(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^[+-]?(NaN|Infinity)$/.test(trimmed)) return Number(trimmed.replace(/^\+/, ''));
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?$/.test(trimmed)) return undefined;
  return Number(trimmed.replace(/[fFdD]$/, ''));
}

function parseNumber(type: NumericType, value: JsonValue, coerce: boolean): number {
  if (typeof value === 'string') {
    if (!coerce) fail('illegal_argument_exception', `${JAVA_NAMES[type]} value passed as String`);
    if (type === 'long') {
      const parsed = parseJavaDouble(value);
      if (parsed === undefined || !Number.isFinite(parsed)) fail('illegal_argument_exception', `For input string: "${value}"`);
      if (parsed! >= TWO_POW_63 || parsed! < LONG_MIN) fail('illegal_argument_exception', `Value [${value}] is out of range for a long`);
      return Math.trunc(parsed!);
    }
    const parsed = parseJavaDouble(value);
    if (parsed === undefined) fail('number_format_exception', value.trim() === '' ? 'empty String' : `For input string: "${value}"`);
    if (type === 'integer' || type === 'short' || type === 'byte') {
      const [min, max, name] = INTEGER_RANGES[type];
      if (parsed! < min || parsed! > max) fail('illegal_argument_exception', `Value [${value}] is out of range for ${name}`);
      return Math.trunc(parsed!);
    }
    return finite(type, type === 'float' ? Math.fround(parsed!) : parsed!);
  }
  if (typeof value === 'number') {
    if (type === 'double' || type === 'float') return finite(type, type === 'float' ? Math.fround(value) : value);
    if (type === 'long') {
      if (value >= TWO_POW_63 || value < LONG_MIN) fail('input_coercion_exception', `Numeric value (${javaNumberText(value)}) out of range of long (${LONG_MIN_TEXT} - ${LONG_MAX_TEXT})`);
    } else {
      const [min, max, name] = INTEGER_RANGES[type];
      if (type === 'integer' && (value > max || value < min)) fail('input_coercion_exception', `Numeric value (${javaNumberText(value)}) out of range of int (${min} - ${max})`);
      if (value > max || value < min) fail('illegal_argument_exception', `Value [${Math.trunc(value)}] is out of range for ${name}`);
    }
    if (!coerce && !Number.isInteger(value)) fail('illegal_argument_exception', `${value} cannot be converted to ${JAVA_NAMES[type]} without data loss`);
    return Math.trunc(value);
  }
  if (typeof value === 'boolean') fail('json_parse_exception', `Current token (VALUE_${value ? 'TRUE' : 'FALSE'}) not numeric, can not use numeric value accessors`);
  return fail('illegal_state_exception', `Can't get text on a ${Array.isArray(value) ? 'START_ARRAY' : 'START_OBJECT'}`);
}

function finite(type: 'double' | 'float', value: number): number {
  if (!Number.isFinite(value)) fail('illegal_argument_exception', `[${type}] supports only finite values, but got [${value}]`);
  return value;
}

function parseDateValue(value: JsonValue, format: string): number {
  if (typeof value !== 'string' && typeof value !== 'number') {
    return fail('illegal_state_exception', `Can't get text on a ${typeof value === 'boolean' ? `VALUE_${String(value).toUpperCase()}` : 'START_OBJECT'}`);
  }
  const text = typeof value === 'number' ? String(value) : value;
  try {
    return parseDate(text, format);
  } catch (error) {
    if (!(error instanceof DateParseFailure)) throw error;
    return fail('illegal_argument_exception', error.message, javaCause('date_time_parse_exception', error.innerReason));
  }
}

function parseBoolean(value: JsonValue): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (value === '') return undefined;
  if (typeof value === 'string') return fail('illegal_argument_exception', `Failed to parse value [${value}] as only [true] or [false] are allowed.`);
  if (typeof value === 'number') return fail('json_parse_exception', 'Current token (VALUE_NUMBER_INT) not of boolean type');
  return fail('illegal_state_exception', "Can't get text on a START_OBJECT");
}

function parseText(value: JsonValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fail('illegal_state_exception', `Can't get text on a ${Array.isArray(value) ? 'START_ARRAY' : 'START_OBJECT'}`);
}

/**
 * The value a field of `type` indexes for `value` (never `null`: callers skip nulls), or
 * `undefined` when the value counts as missing (`""` for booleans). Throws {@link FieldValueError}.
 */
export function coerceFieldValue(type: LeafType, value: JsonValue, options: { coerce: boolean; format: string }): IndexedValue | undefined {
  switch (type) {
    case 'keyword':
    case 'text':
      return parseText(value);
    case 'boolean':
      return parseBoolean(value);
    case 'date':
      return parseDateValue(value, options.format);
    default:
      return parseNumber(type, value, options.coerce);
  }
}

/** The preview OpenSearch shows of a value it could not parse (`Object.toString` of Java maps for objects). */
export function previewOf(value: JsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(previewOf).join(', ')}]`;
  return `{${Object.entries(value).map(([k, v]) => `${k}=${previewOf(v)}`).join(', ')}}`;
}

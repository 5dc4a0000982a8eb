/** Value coercion into field types, with OpenSearch's error chains. */
import { coerceFieldValue, FieldValueError, previewOf } from '../../../../lib/local/opensearch/field-values';
import type { JsonValue } from '../../../../lib/local/opensearch/json';
import type { LeafType } from '../../../../lib/local/opensearch/mapping';

const coerce = (type: LeafType, value: JsonValue, options: { coerce?: boolean; format?: string } = {}) =>
  coerceFieldValue(type, value, { coerce: options.coerce ?? true, format: options.format ?? 'strict_date_optional_time||epoch_millis' });

function causeOf(type: LeafType, value: JsonValue, options: { coerce?: boolean; format?: string } = {}) {
  try {
    coerce(type, value, options);
  } catch (error) {
    if (error instanceof FieldValueError) return error.errorCause;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(value)} to fail as ${type}`);
}

describe('numbers', () => {
  test('numeric strings are coerced unless coerce is false', () => {
    expect(coerce('double', '21.5')).toBe(21.5);
    expect(coerce('long', '42')).toBe(42);
    expect(coerce('integer', '7.9')).toBe(7);
    expect(causeOf('long', '42', { coerce: false })).toEqual({ type: 'illegal_argument_exception', reason: 'Long value passed as String', java: true });
    expect(causeOf('double', '1', { coerce: false }).reason).toBe('Double value passed as String');
  });

  test('integer types truncate decimals, or refuse them without coercion', () => {
    expect(coerce('long', 1.9)).toBe(1);
    expect(causeOf('long', 1.5, { coerce: false }).reason).toBe('1.5 cannot be converted to Long without data loss');
  });

  test('unparseable strings fail with the Java exception OpenSearch reports', () => {
    expect(causeOf('double', 'hot')).toMatchObject({ type: 'number_format_exception', reason: 'For input string: "hot"' });
    expect(causeOf('float', 'N/A')).toMatchObject({ type: 'number_format_exception', reason: 'For input string: "N/A"' });
    expect(causeOf('long', 'cheap')).toMatchObject({ type: 'illegal_argument_exception', reason: 'For input string: "cheap"' });
  });

  test('ranges of the integer types are enforced', () => {
    expect(causeOf('byte', 200).reason).toBe('Value [200] is out of range for a byte');
    expect(causeOf('short', '40000').reason).toBe('Value [40000] is out of range for a short');
    expect(causeOf('integer', 3000000000)).toMatchObject({ type: 'input_coercion_exception' });
    expect(causeOf('integer', '3000000000').reason).toBe('Value [3000000000] is out of range for an integer');
    expect(coerce('short', -32768)).toBe(-32768);
  });

  test('float values are kept at single precision; non-finite values fail', () => {
    expect(coerce('float', 0.1)).toBe(Math.fround(0.1));
    expect(coerce('double', 0.1)).toBe(0.1);
    expect(causeOf('double', 'Infinity').reason).toBe('[double] supports only finite values, but got [Infinity]');
  });

  test('booleans and objects are not numbers', () => {
    expect(causeOf('long', true).type).toBe('json_parse_exception');
    expect(causeOf('double', { a: 1 }).type).toBe('illegal_state_exception');
  });
});

describe('dates', () => {
  test('ISO strings and epoch milliseconds with the default format', () => {
    expect(coerce('date', '2024-01-15T10:30:00Z')).toBe(Date.UTC(2024, 0, 15, 10, 30));
    expect(coerce('date', '2024-01-15')).toBe(Date.UTC(2024, 0, 15));
    expect(coerce('date', '2024-01-15T10:30:00.123+02:00')).toBe(Date.UTC(2024, 0, 15, 8, 30, 0, 123));
    expect(coerce('date', 1705314600000)).toBe(1705314600000);
    expect(coerce('date', '1705314600000')).toBe(1705314600000);
  });

  test('a value outside the format fails with the nested date_time_parse_exception', () => {
    expect(causeOf('date', 'yesterday')).toEqual({
      type: 'illegal_argument_exception',
      reason: 'failed to parse date field [yesterday] with format [strict_date_optional_time||epoch_millis]',
      java: true,
      causedBy: { type: 'date_time_parse_exception', reason: 'Failed to parse with all enclosed parsers', java: true },
    });
    expect(causeOf('date', 1705314600000, { format: 'strict_date_optional_time' }).reason).toContain('with format [strict_date_optional_time]');
    expect(causeOf('date', '2024-02-30')).toMatchObject({ type: 'illegal_argument_exception' });
  });
});

describe('booleans, keywords and text', () => {
  test('booleans accept true/false and their strings; "" is missing', () => {
    expect(coerce('boolean', 'true')).toBe(true);
    expect(coerce('boolean', false)).toBe(false);
    expect(coerce('boolean', '')).toBeUndefined();
    expect(causeOf('boolean', 'yes').reason).toBe('Failed to parse value [yes] as only [true] or [false] are allowed.');
  });

  test('keywords take strings, numbers and booleans as text; objects fail', () => {
    expect(coerce('keyword', 42)).toBe('42');
    expect(coerce('text', true)).toBe('true');
    expect(causeOf('keyword', { a: 1 })).toMatchObject({ type: 'illegal_state_exception', reason: "Can't get text on a START_OBJECT" });
  });

  test('previews print objects like Java maps', () => {
    expect(previewOf({ a: 1, b: [true, 'x'] })).toBe('{a=1, b=[true, x]}');
  });
});

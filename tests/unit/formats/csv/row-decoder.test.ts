import type { DecodeResult, Row, RowError } from '../../../../lib/formats/csv/row-decoder';
import { compileRowDecoder } from '../../../../lib/formats/csv/row-decoder';
import { describeSchema } from '../../../../lib/schemas/dataset-schema';
import { getSchema } from '../../../../lib/schemas/registry';
import { clickstreamFields } from '../../../support/firehose';

const decode = compileRowDecoder(getSchema('clickstream'));

function rowOf(result: DecodeResult): Row {
  if (!result.ok) throw new Error(`expected a row, got ${JSON.stringify(result.error)}`);
  return result.row;
}

function errorOf(result: DecodeResult): RowError {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.row)}`);
  return result.error;
}

describe('compileRowDecoder (clickstream schema)', () => {
  test('types every column: strings, integers, numbers, nulls and a UTC timestamp', () => {
    const row = rowOf(decode(clickstreamFields({ referrer: '', revenue: '12.50', event_type: 'purchase', duration_ms: '0' })));
    expect(row).toEqual({
      event_id: 'c567fbb5-522e-453a-90ae-8dae18aefd9f',
      user_id: 'u-441',
      session_id: 's-441-997580',
      event_type: 'purchase',
      page_url: 'https://shop.example.com/help?topic="returns"',
      referrer: null,
      device: 'tablet',
      country: 'US',
      timestamp: '2026-11-25T22:00:00.262Z',
      duration_ms: 0,
      revenue: 12.5,
    });
    // Keys in schema (CSV) order: the JSON lines are written from this object.
    expect(Object.keys(row)).toEqual(getSchema('clickstream').columns.map((c) => c.name));
  });

  test('integers and numbers are JSON numbers, not strings', () => {
    const row = rowOf(decode(clickstreamFields({ duration_ms: '86400000', revenue: '1e2' })));
    expect(row.duration_ms).toBe(86_400_000);
    expect(row.revenue).toBe(100);
    expect(JSON.stringify(row)).toContain('"duration_ms":86400000,"revenue":100}');
  });

  test.each(['0', '0.5', '.5', '5.', '1.25e1'])('accepts the number %j', (text) => {
    expect(rowOf(decode(clickstreamFields({ revenue: text }))).revenue).toBe(Number(text));
  });

  test('an empty nullable field is null', () => {
    const row = rowOf(decode(clickstreamFields({ referrer: '', revenue: '' })));
    expect(row.referrer).toBeNull();
    expect(row.revenue).toBeNull();
  });

  test('an empty non-nullable integer is an error naming the column', () => {
    expect(errorOf(decode(clickstreamFields({ duration_ms: '' })))).toEqual({ column: 'duration_ms', reason: 'empty value in a non-nullable column' });
  });

  test('an empty non-nullable timestamp is an error naming the column', () => {
    expect(errorOf(decode(clickstreamFields({ timestamp: '' }))).column).toBe('timestamp');
  });

  test('an empty non-nullable string goes to the schema (minLength)', () => {
    const error = errorOf(decode(clickstreamFields({ user_id: '' })));
    expect(error.column).toBe('user_id');
    expect(error.reason).toMatch(/fewer than 1 character/);
  });

  test.each([
    ['event_type', 'login', /allowed values/, '"login"'],
    ['device', 'Desktop', /allowed values/, '"Desktop"'],
    ['country', 'usa', /pattern/, '"usa"'],
    ['country', 'us', /pattern/, '"us"'],
    ['page_url', 'not a uri', /format "uri"/, '"not a uri"'],
    ['referrer', 'www.google.com', /format "uri"/, '"www.google.com"'],
    ['event_id', 'c567fbb5-522e-453a-90ae', /format "uuid"/, '"c567fbb5-522e-453a-90ae"'],
    ['event_id', '', /format "uuid"/, '""'],
    ['duration_ms', '-1', />= 0/, '-1'],
    ['duration_ms', '86400001', /<= 86400000/, '86400001'],
    ['revenue', '-0.01', />= 0/, '-0.01'],
  ])('a schema violation in %s (%j) is an error with the column and a reason', (column, value, reason, got) => {
    const error = errorOf(decode(clickstreamFields({ [column]: value })));
    expect(error.column).toBe(column);
    expect(error.reason).toMatch(reason);
    // The reason ends with the offending (decoded) value.
    expect(error.reason.endsWith(`got ${got}`)).toBe(true);
  });

  test.each([
    ['a float', '1.5'],
    ['a float with a zero fraction', '1.0'],
    ['an exponent', '1e3'],
    ['a plus sign', '+5'],
    ['spaces', ' 5'],
    ['a hex literal', '0x10'],
    ['text', 'abc'],
  ])('rejects %s in an integer column', (_name, text) => {
    const error = errorOf(decode(clickstreamFields({ duration_ms: text })));
    expect(error.column).toBe('duration_ms');
    expect(error.reason).toBe(`not an integer: ${JSON.stringify(text)}`);
  });

  test('rejects an integer beyond the exactly representable range', () => {
    const error = errorOf(decode(clickstreamFields({ duration_ms: '9007199254740993' })));
    expect(error).toEqual({ column: 'duration_ms', reason: 'integer out of the exactly representable range: 9007199254740993' });
  });

  test.each(['abc', '1,5', 'Infinity', 'NaN', '1e400', '0x1F', '...'])('rejects the number %j', (text) => {
    const error = errorOf(decode(clickstreamFields({ revenue: text })));
    expect(error.column).toBe('revenue');
    expect(error.reason).toMatch(/^not a number/);
  });

  test('rejects a timestamp that is not ISO-8601, naming the column', () => {
    const error = errorOf(decode(clickstreamFields({ timestamp: '2026-02-30T00:00:00Z' })));
    expect(error).toEqual({ column: 'timestamp', reason: 'not an ISO-8601 timestamp: "2026-02-30T00:00:00Z"' });
  });

  test.each([
    ['too few', clickstreamFields().slice(0, 10), 'expected 11 columns, found 10'],
    ['too many', [...clickstreamFields(), 'extra'], 'expected 11 columns, found 12'],
    ['one', ['x'], 'expected 11 columns, found 1'],
  ])('a wrong column count (%s) is an error without a column', (_name, fields, reason) => {
    const error = errorOf(decode(fields));
    expect(error).toEqual({ reason });
    expect(error).not.toHaveProperty('column');
  });

  test('reports the first bad column in CSV order', () => {
    expect(errorOf(decode(clickstreamFields({ duration_ms: 'x', revenue: 'y' }))).column).toBe('duration_ms');
  });

  test('booleans: true/false only', () => {
    const schema = describeSchema('flags', {
      type: 'object',
      properties: { on: { type: 'boolean' }, maybe: { type: ['boolean', 'null'] } },
    });
    const decodeFlags = compileRowDecoder(schema);
    expect(rowOf(decodeFlags(['true', 'false']))).toEqual({ on: true, maybe: false });
    expect(rowOf(decodeFlags(['false', '']))).toEqual({ on: false, maybe: null });
    expect(errorOf(decodeFlags(['TRUE', '']))).toEqual({ column: 'on', reason: 'not a boolean (true/false): "TRUE"' });
    expect(errorOf(decodeFlags(['', '']))).toEqual({ column: 'on', reason: 'empty value in a non-nullable column' });
  });
});

import { canonicalTimestamp, canonicalTimestamptz, PG_TYPE, PgValueTextError, pgTextToColumnValue } from '../../../../lib/cdc/capture/pg-values';
import { canonicalValue } from '../../../../lib/cdc/source-tables';

describe('PostgreSQL text → canonical column values', () => {
  test('NULL is null whatever the type', () => {
    for (const oid of Object.values(PG_TYPE)) expect(pgTextToColumnValue(oid, null)).toBeNull();
  });

  test('64-bit integers and numerics stay exact decimal strings; 16- and 32-bit integers are numbers', () => {
    expect(pgTextToColumnValue(PG_TYPE.int8, '9007199254740993')).toBe('9007199254740993');
    expect(pgTextToColumnValue(PG_TYPE.int8, '-9223372036854775808')).toBe('-9223372036854775808');
    expect(pgTextToColumnValue(PG_TYPE.numeric, '123456789012.34')).toBe('123456789012.34');
    expect(pgTextToColumnValue(PG_TYPE.numeric, '12.50')).toBe('12.50');
    expect(pgTextToColumnValue(PG_TYPE.numeric, '-0.0001')).toBe('-0.0001');
    expect(pgTextToColumnValue(PG_TYPE.numeric, 'NaN')).toBe('NaN');
    expect(pgTextToColumnValue(PG_TYPE.int4, '-2147483648')).toBe(-2147483648);
    expect(pgTextToColumnValue(PG_TYPE.int2, '32767')).toBe(32767);
    expect(() => pgTextToColumnValue(PG_TYPE.int4, '1.5')).toThrow(PgValueTextError);
  });

  test('booleans, uuids, padded char(n) and text', () => {
    expect(pgTextToColumnValue(PG_TYPE.bool, 't')).toBe(true);
    expect(pgTextToColumnValue(PG_TYPE.bool, 'f')).toBe(false);
    expect(pgTextToColumnValue(PG_TYPE.uuid, '0E1D8C3A-0000-4000-8000-000000000001')).toBe('0e1d8c3a-0000-4000-8000-000000000001');
    expect(pgTextToColumnValue(PG_TYPE.bpchar, 'X ')).toBe('X ');
    expect(pgTextToColumnValue(PG_TYPE.text, 'Renée 🚀 李\n"q", c')).toBe('Renée 🚀 李\n"q", c');
    expect(pgTextToColumnValue(PG_TYPE.date, '2026-11-25')).toBe('2026-11-25');
  });

  test('floats become numbers when finite, else keep their text', () => {
    expect(pgTextToColumnValue(PG_TYPE.float8, '0.1')).toBe(0.1);
    expect(pgTextToColumnValue(PG_TYPE.float8, '1e+300')).toBe(1e300);
    expect(pgTextToColumnValue(PG_TYPE.float4, 'NaN')).toBe('NaN');
    expect(pgTextToColumnValue(PG_TYPE.float8, '-Infinity')).toBe('-Infinity');
  });

  test('timestamptz: any zone offset → UTC with six fraction digits', () => {
    expect(canonicalTimestamptz('2026-11-25 22:00:00+00')).toBe('2026-11-25T22:00:00.000000Z');
    expect(canonicalTimestamptz('2026-11-25 22:00:00.5+00')).toBe('2026-11-25T22:00:00.500000Z');
    expect(canonicalTimestamptz('2026-03-29 01:30:00.123456+05:45')).toBe('2026-03-28T19:45:00.123456Z');
    expect(canonicalTimestamptz('2026-12-31 23:30:00.000001-03:30')).toBe('2027-01-01T03:00:00.000001Z');
    expect(canonicalTimestamptz('1890-01-01 00:00:00+00:09:21')).toBe('1889-12-31T23:50:39.000000Z');
    expect(canonicalTimestamptz('2024-02-29 12:00:00+14')).toBe('2024-02-28T22:00:00.000000Z');
    expect(pgTextToColumnValue(PG_TYPE.timestamptz, '2026-11-25 22:00:00.123456+00')).toBe('2026-11-25T22:00:00.123456Z');
  });

  test('timestamptz values with no canonical form keep PostgreSQL text; malformed text is an error', () => {
    expect(canonicalTimestamptz('infinity')).toBe('infinity');
    expect(canonicalTimestamptz('-infinity')).toBe('-infinity');
    expect(canonicalTimestamptz('0044-03-15 12:00:00+00 BC')).toBe('0044-03-15 12:00:00+00 BC');
    expect(canonicalTimestamptz('12026-01-01 00:00:00+00')).toBe('12026-01-01 00:00:00+00');
    // A session not in DateStyle ISO.
    expect(() => canonicalTimestamptz('Wed Nov 25 22:00:00 2026 UTC')).toThrow(PgValueTextError);
  });

  test('timestamp without time zone: ISO with T and six digits, no zone', () => {
    expect(canonicalTimestamp('2026-11-25 22:00:00')).toBe('2026-11-25T22:00:00.000000');
    expect(canonicalTimestamp('2026-11-25 22:00:00.12')).toBe('2026-11-25T22:00:00.120000');
    expect(canonicalTimestamp('infinity')).toBe('infinity');
    expect(() => canonicalTimestamp('2026-11-25 22:00:00+00')).toThrow(PgValueTextError);
  });

  test('agrees with the formats: the captured value is what canonicalValue gives for the shop column types', () => {
    const where = { format: 'dms-kinesis', field: 'x' } as const;
    const cases: [number, string, string][] = [
      [PG_TYPE.int8, '9007199254740993', 'bigint'],
      [PG_TYPE.int4, '42', 'integer'],
      [PG_TYPE.numeric, '123456789012.30', 'numeric(14,2)'],
      [PG_TYPE.numeric, '12345678.1200', 'numeric(12,4)'],
      [PG_TYPE.bool, 't', 'boolean'],
      [PG_TYPE.bpchar, 'X ', 'char(2)'],
      [PG_TYPE.uuid, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'uuid'],
      [PG_TYPE.timestamptz, '2026-03-29 01:30:00.1234+05:45', 'timestamptz'],
      [PG_TYPE.text, 'café', 'text'],
    ];
    for (const [oid, text, type] of cases) expect(pgTextToColumnValue(oid, text)).toEqual(canonicalValue(type, text, where));
  });
});

import fc from 'fast-check';
import { ChangeFormatError } from '../../../lib/cdc/change-event';
import type { SourceTable } from '../../../lib/cdc/source-tables';
import { canonicalRow, canonicalValue, loadSourceTables, parsePgType, shopTables, sourceTable, SourceTablesError } from '../../../lib/cdc/source-tables';
import { canonicalValueOf, rowOf, tableArb } from './formats/arbitraries';
import { thrownBy } from '../../support/errors';

const where = { format: 'dms-kinesis', field: 'data.x' } as const;

const errorOf = (run: () => unknown): ChangeFormatError => thrownBy(ChangeFormatError, run);

describe('shop.json source tables', () => {
  test('types, nullability and keys are read from the contract', () => {
    const customers = sourceTable('shop', 'customers')!;
    expect(customers.keyColumns).toEqual(['customer_id']);
    expect(customers.columns.map((c) => c.name)).toEqual(['customer_id', 'email', 'full_name', 'country', 'balance', 'vip', 'signed_up_at', 'notes']);
    expect(customers.columnsByName.get('balance')).toEqual({ name: 'balance', typeName: 'numeric(14,2)', type: { kind: 'numeric', precision: 14, scale: 2 }, nullable: false });
    expect(customers.columnsByName.get('country')!.type).toEqual({ kind: 'char', length: 2 });
    expect(sourceTable('shop', 'order_lines')!.keyColumns).toEqual(['order_id', 'line_no']);
    expect(sourceTable('shop', 'nope')).toBeUndefined();
    expect(sourceTable('public', 'customers')).toBeUndefined();
    expect([...shopTables.tables.keys()]).toEqual(['customers', 'orders', 'order_lines']);
  });

  test.each([
    ['bigint', { kind: 'bigint' }],
    ['INTEGER', { kind: 'integer' }],
    ['numeric(12,4)', { kind: 'numeric', precision: 12, scale: 4 }],
    ['numeric(5)', { kind: 'numeric', precision: 5, scale: 0 }],
    ['numeric', { kind: 'numeric', precision: undefined, scale: undefined }],
    ['char(2)', { kind: 'char', length: 2 }],
    ['character', { kind: 'char', length: 1 }],
    ['varchar(40)', { kind: 'text' }],
    ['timestamp with time zone', { kind: 'timestamptz' }],
  ])('parsePgType(%s)', (spelling, type) => {
    expect(parsePgType(spelling)).toEqual(type);
  });

  test('a contract with an unknown type, a missing key column or a nullable key is refused', () => {
    expect(() => parsePgType('money')).toThrow(SourceTablesError);
    expect(() => parsePgType('numeric(2,3)')).toThrow(SourceTablesError);
    expect(() => loadSourceTables({ schema: 's', tables: { t: { key: ['id'], columns: { x: { type: 'text', nullable: false } } } } })).toThrow(/key column "id" is not a column/);
    expect(() => loadSourceTables({ schema: 's', tables: { t: { key: ['id'], columns: { id: { type: 'text', nullable: true } } } } })).toThrow(/nullable/);
    expect(() => loadSourceTables({ schema: 's' })).toThrow(SourceTablesError);
  });
});

describe('canonicalValue', () => {
  test.each<[string, unknown, unknown]>([
    ['bigint', 42, '42'],
    ['bigint', '9223372036854775807', '9223372036854775807'],
    ['bigint', '-9223372036854775808', '-9223372036854775808'],
    ['bigint', '+007', '7'],
    ['integer', '2147483647', 2147483647],
    ['integer', -5, -5],
    ['numeric(14,2)', 12.5, '12.50'],
    ['numeric(14,2)', '12.5', '12.50'],
    ['numeric(14,2)', '-0.00', '0.00'],
    ['numeric(14,2)', '1.2E+3', '1200.00'],
    ['numeric(14,2)', '12.5000', '12.50'],
    ['numeric(14,2)', '999999999999.99', '999999999999.99'],
    ['numeric(12,4)', 0.0001, '0.0001'],
    ['numeric(12,4)', '.5', '0.5000'],
    ['numeric', '123456789012345678901234567890.000100', '123456789012345678901234567890.000100'],
    ['numeric', 'NaN', 'NaN'],
    ['boolean', true, true],
    ['boolean', 'f', false],
    ['boolean', 'TRUE', true],
    ['text', 'Zoë 😀, "quoted"\n', 'Zoë 😀, "quoted"\n'],
    ['char(2)', 'D', 'D '],
    ['char(2)', 'DE', 'DE'],
    ['char(2)', 'DE   ', 'DE'],
    ['char(2)', '😀', '😀 '],
    ['uuid', '{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    ['uuid', 'a0eebc999c0b4ef8bb6d6bb9bd380a11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    ['timestamptz', '2026-11-25 22:00:00.123456+00', '2026-11-25T22:00:00.123456Z'],
    ['timestamptz', '2026-11-25 23:30:00+01:30', '2026-11-25T22:00:00.000000Z'],
    ['timestamptz', '2026-11-26T01:00:00.5+03', '2026-11-25T22:00:00.500000Z'],
    ['timestamptz', '2026-11-25T17:00:00-0500', '2026-11-25T22:00:00.000000Z'],
    ['timestamptz', '2026-11-25 22:00:00.123456', '2026-11-25T22:00:00.123456Z'],
    ['timestamptz', '2026-01-01 00:10:00+00:53:28', '2025-12-31T23:16:32.000000Z'],
    ['timestamptz', '2026-11-25T22:00:00.123456000Z', '2026-11-25T22:00:00.123456Z'],
    ['timestamptz', 'infinity', 'infinity'],
    ['text', null, null],
  ])('%s %p → %p', (type, value, expected) => {
    expect(canonicalValue(type, value, where)).toEqual(expected);
  });

  test.each<[string, unknown, RegExp]>([
    ['bigint', '9223372036854775808', /out of range for bigint/],
    ['bigint', 12.5, /expected an integer/],
    ['bigint', 2 ** 60, /beyond 2\^53/],
    ['integer', 2 ** 31, /out of range for integer/],
    ['numeric(14,2)', '12.345', /more than 2 fraction digits/],
    ['numeric(14,2)', '1000000000000', /out of range for numeric\(14,2\)/],
    ['numeric(14,2)', 'twelve', /expected a decimal/],
    ['numeric(14,2)', 'Infinity', /out of range/],
    ['boolean', 'maybe', /expected a boolean/],
    ['boolean', 1, /expected a boolean/],
    ['text', 42, /expected a string/],
    ['text', 'a\u0000b', /NUL/],
    ['text', '\uD800', /unpaired surrogate/],
    ['char(2)', 'DEU', /longer than char\(2\)/],
    ['uuid', 'not-a-uuid', /expected a UUID/],
    ['timestamptz', 'yesterday', /expected a timestamp/],
    ['timestamptz', '2026-02-30 00:00:00', /not a valid date-time/],
    ['timestamptz', '2026-11-25T22:00:00.1234567Z', /more precise than microseconds/],
    ['timestamptz', '9999-12-31T23:00:00-02:00', /outside years/],
    ['timestamptz', 1764108000, /expected a timestamp string/],
  ])('%s %p is refused, naming the field', (type, value, reason) => {
    const error = errorOf(() => canonicalValue(type, value, where));
    expect(error.format).toBe('dms-kinesis');
    expect(error.field).toBe('data.x');
    expect(error.reason).toMatch(reason);
  });

  test('canonical values are fixed points, for every column type of shop.json', () => {
    const columns = [...shopTables.tables.values()].flatMap((t) => t.columns);
    fc.assert(
      fc.property(fc.constantFrom(...columns).chain((column) => fc.tuple(fc.constant(column), canonicalValueOf(column.type))), ([column, value]) => {
        expect(canonicalValue(column.type, value, where)).toEqual(value);
      }),
    );
  });
});

describe('canonicalRow', () => {
  const customers = sourceTable('shop', 'customers')!;
  const options = { format: 'debezium', path: 'after', checkNullability: true } as const;

  test('canonicalises each column; absent columns stay absent', () => {
    expect(canonicalRow(customers, { customer_id: 7, balance: 3, country: 'D' }, options)).toEqual({ customer_id: '7', balance: '3.00', country: 'D ' });
  });

  test('names the column that does not fit, an unknown column, or a NULL in a NOT NULL column', () => {
    expect(errorOf(() => canonicalRow(customers, { balance: 'x' }, options)).field).toBe('after.balance');
    expect(errorOf(() => canonicalRow(customers, { shoe_size: 43 }, options))).toMatchObject({ field: 'after.shoe_size', reason: 'not a column of shop.customers' });
    expect(errorOf(() => canonicalRow(customers, { email: null }, options))).toMatchObject({ field: 'after.email', reason: 'null in NOT NULL column email' });
    expect(canonicalRow(customers, { email: null }, { ...options, checkNullability: false })).toEqual({ email: null });
  });

  test('any generated row of any table is already canonical', () => {
    fc.assert(
      fc.property(tableArb.chain((table: SourceTable) => fc.tuple(fc.constant(table), rowOf(table))), ([table, row]) => {
        expect(canonicalRow(table, row, options)).toEqual(row);
      }),
    );
  });
});

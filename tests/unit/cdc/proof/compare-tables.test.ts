import { compareTable, normaliseDecimal, rowOfItem } from '../../../../lib/cdc/proof/compare-tables';
import { sourceTable } from '../../../../lib/cdc/source-tables';

const customers = sourceTable('shop', 'customers')!;
const row = { customer_id: '42', email: 'a@example.com', full_name: 'Zoë 🚀', country: 'IE', balance: '12.50', vip: false, signed_up_at: '2026-11-25T22:00:00.123456Z', notes: null };
const item = {
  customer_id: { N: '42' }, email: { S: 'a@example.com' }, full_name: { S: 'Zoë 🚀' }, country: { S: 'IE' }, balance: { N: '12.5' }, vip: { BOOL: false },
  signed_up_at: { S: '2026-11-25T22:00:00.123456Z' }, notes: { NULL: true }, _cdc_position: { S: '00000000016B3748:0000000001' },
};

describe('normaliseDecimal', () => {
  it.each([['12.50', '12.5'], ['-0012.5000', '-12.5'], ['0.0', '0'], ['100', '100'], ['.5', '0.5'], ['12345678901234567890.10', '12345678901234567890.1']])('%s → %s', (a, b) => expect(normaliseDecimal(a)).toBe(b));
});

describe('compareTable', () => {
  it('finds nothing when the item holds the row (decimals compared as values, replay metadata ignored)', () => {
    expect(rowOfItem(customers, item)).toEqual({ ...row, balance: '12.5' });
    expect(compareTable(customers, [row], [item])).toEqual([]);
  });

  it('names each difference: a value, a missing row, an extra item', () => {
    const changed = { ...item, full_name: { S: 'Zoe' } };
    const extra = { ...item, customer_id: { N: '43' } };
    expect(compareTable(customers, [row, { ...row, customer_id: '44' }], [changed, extra])).toEqual([
      { table: 'shop.customers', key: 'customer_id=42', kind: 'value differs', column: 'full_name', source: 'Zoë 🚀', target: 'Zoe' },
      { table: 'shop.customers', key: 'customer_id=44', kind: 'missing in target' },
      { table: 'shop.customers', key: 'customer_id=43', kind: 'not in source' },
    ]);
  });

  it('counts a tombstone as absent, and a NULL as different from a value', () => {
    expect(compareTable(customers, [], [{ ...item, _cdc_deleted: { BOOL: true } }])).toEqual([]);
    expect(compareTable(customers, [{ ...row, notes: 'x' }], [item])).toEqual([
      { table: 'shop.customers', key: 'customer_id=42', kind: 'value differs', column: 'notes', source: 'x', target: null },
    ]);
  });
});

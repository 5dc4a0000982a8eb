import { parseTableMapping, TableMappingError, targetTableResolver, targetTableResolverFromEnv } from '../../../../lib/cdc/apply';

describe('target table mapping', () => {
  it('defaults to <prefix><schema>-<table>', () => {
    const of = targetTableResolver({ prefix: 'shardline-dev-cdc-' });
    expect(of('shop', 'order_lines')).toBe('shardline-dev-cdc-shop-order_lines');
  });

  it('takes overrides by schema.table from CDC_TABLE_MAPPING', () => {
    const of = targetTableResolverFromEnv({ CDC_TARGET_TABLE_PREFIX: 'p-', CDC_TABLE_MAPPING: '{"shop.customers": "customers-v2"}' });
    expect(of('shop', 'customers')).toBe('customers-v2');
    expect(of('shop', 'orders')).toBe('p-shop-orders');
    expect(targetTableResolverFromEnv({})('shop', 'orders')).toBe('shop-orders');
  });

  it('fails loudly on a bad mapping or name', () => {
    expect(() => parseTableMapping('{')).toThrow(TableMappingError);
    expect(() => parseTableMapping('["a"]')).toThrow(TableMappingError);
    expect(() => parseTableMapping('{"shop.customers": 3}')).toThrow(TableMappingError);
    expect(() => targetTableResolver({ mapping: { customers: 'x-customers' } })).toThrow(/schema\.table/);
    expect(() => targetTableResolver({ mapping: { 'shop.customers': 'no spaces allowed' } })).toThrow(TableMappingError);
    expect(() => targetTableResolver({ prefix: 'bad prefix ' })('shop', 'customers')).toThrow(TableMappingError);
  });
});

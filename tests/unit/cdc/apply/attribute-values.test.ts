import { attributeKindOf, attributeValueOf, ChangeRejection, dynamoNumberText, keyKindOf, targetKeyDefinition, sourceTableSpecs } from '../../../../lib/cdc/apply';

describe('attributeKindOf', () => {
  it.each([
    ['bigint', 'N'], ['integer', 'N'], ['numeric(14,2)', 'N'], ['NUMERIC(12, 4)', 'N'], ['double precision', 'N'], ['int8', 'N'],
    ['boolean', 'BOOL'], ['bool', 'BOOL'],
    ['text', 'S'], ['uuid', 'S'], ['char(2)', 'S'], ['timestamptz', 'S'], ['timestamp with time zone', 'S'], ['money', 'S'], ['integer[]', 'S'], ['jsonb', 'S'],
  ])('%s → %s', (type, kind) => expect(attributeKindOf(type)).toBe(kind));

  it('keys are N or S only', () => {
    expect(keyKindOf('bigint')).toBe('N');
    expect(keyKindOf('boolean')).toBe('S');
    expect(keyKindOf(undefined)).toBe('S');
  });
});

describe('dynamoNumberText', () => {
  it.each([
    ['12.50', '12.50'], ['-0.001', '-0.001'], ['+5', '5'], ['0.000', '0'], ['1e-7', '1e-7'], ['.5', '.5'],
    ['12345678901234567890123456789012345678', '12345678901234567890123456789012345678'],
    ['1234567890123456789012345678901234567800000', '1234567890123456789012345678901234567800000'],
    ['9.9999999999999999999999999999999999999E+125', '9.9999999999999999999999999999999999999E+125'],
    ['1E-130', '1E-130'],
  ])('keeps %s as %s', (text, sent) => expect(dynamoNumberText(text)).toEqual({ ok: true, text: sent }));

  it.each(['123456789012345678901234567890123456789', '1E+126', '1E-131', '0.1E-130', 'NaN', 'Infinity', '', '-', '1.2.3', '0x10'])('refuses %s', (text) => {
    expect(dynamoNumberText(text).ok).toBe(false);
  });
});

describe('attributeValueOf', () => {
  it('maps exactly', () => {
    expect(attributeValueOf('c', '12345678901234567890', 'N')).toEqual({ N: '12345678901234567890' });
    expect(attributeValueOf('c', 42, 'N')).toEqual({ N: '42' });
    expect(attributeValueOf('c', 0.1, 'N')).toEqual({ N: '0.1' });
    expect(attributeValueOf('c', true, 'BOOL')).toEqual({ BOOL: true });
    expect(attributeValueOf('c', '2026-11-25T22:00:00.123456Z', 'S')).toEqual({ S: '2026-11-25T22:00:00.123456Z' });
    expect(attributeValueOf('c', '', 'S')).toEqual({ S: '' });
    expect(attributeValueOf('c', null, 'N')).toEqual({ NULL: true });
  });

  it('rejects what does not fit, naming the column', () => {
    expect(() => attributeValueOf('vip', 'true', 'BOOL')).toThrow(ChangeRejection);
    expect(() => attributeValueOf('balance', Number.NaN, 'N')).toThrow(/balance/);
    expect(() => attributeValueOf('email', 5, 'S')).toThrow(/email: expected text/);
  });
});

describe('the source schema as table specs', () => {
  it('gives the keys of schemas/cdc/shop.json, and the DynamoDB key definitions', () => {
    const lines = sourceTableSpecs('shop', 'order_lines');
    expect(lines?.keyColumns).toEqual(['order_id', 'line_no']);
    expect(targetKeyDefinition(lines!)).toEqual({
      KeySchema: [{ AttributeName: 'order_id', KeyType: 'HASH' }, { AttributeName: 'line_no', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'order_id', AttributeType: 'S' }, { AttributeName: 'line_no', AttributeType: 'N' }],
    });
    expect(targetKeyDefinition(sourceTableSpecs('shop', 'customers')!).AttributeDefinitions).toEqual([{ AttributeName: 'customer_id', AttributeType: 'N' }]);
    expect(sourceTableSpecs('shop', 'nope')).toBeUndefined();
  });

  it('refuses a key DynamoDB cannot hold', () => {
    expect(() => targetKeyDefinition({ keyColumns: ['a', 'b', 'c'], columnTypes: {} })).toThrow(RangeError);
  });
});

import { attributeValueBytes, itemBytes, significantDigits } from '../../../../lib/sinks/dynamodb/item-size';

describe('DynamoDB item size', () => {
  test('numbers: one byte per two significant digits plus one, leading and trailing zeros trimmed', () => {
    expect(significantDigits('0')).toBe(1);
    expect(significantDigits('-0012.3400')).toBe(4);
    expect(significantDigits('1500')).toBe(2);
    expect(significantDigits('1.5E+30')).toBe(2);
    expect(significantDigits('1764108000')).toBe(7);
    expect(attributeValueBytes({ N: '21.37' })).toBe(3);
    expect(attributeValueBytes({ N: '-60' })).toBe(2);
  });

  test('strings count UTF-8 bytes; null and boolean one byte; sets their members; lists and maps 3 + 1 per element', () => {
    expect(attributeValueBytes({ S: 'é€' })).toBe(5);
    expect(attributeValueBytes({ NULL: true })).toBe(1);
    expect(attributeValueBytes({ BOOL: false })).toBe(1);
    expect(attributeValueBytes({ SS: ['01.000', '02.500'] })).toBe(12);
    expect(attributeValueBytes({ L: [{ S: 'ab' }, { N: '1' }] })).toBe(3 + (2 + 1) + (2 + 1));
    expect(attributeValueBytes({ M: { ok: { N: '1' }, fault: { N: '0' } } })).toBe(3 + (2 + 2 + 1) + (5 + 2 + 1));
  });

  test('an item is the sum of its attribute names and values', () => {
    expect(itemBytes({ device_id: { S: 'sensor-0001' }, seq: { N: '12' }, pressure_hpa: { NULL: true } })).toBe(9 + 11 + 3 + 2 + 12 + 1);
  });
});

import fc from 'fast-check';
import { addDecimals, DECIMAL_ZERO, DecimalFormatError, decimalOfNumber, ExactSum, formatDecimal, parseDecimal } from '../../../../lib/sinks/dynamodb/decimal';

const sum = (values: readonly number[]): string => formatDecimal(values.reduce((acc, v) => addDecimals(acc, decimalOfNumber(v)), DECIMAL_ZERO));

describe('exact decimal sums', () => {
  test('parses the number texts of JavaScript and DynamoDB', () => {
    expect(parseDecimal('-12.50')).toEqual({ coefficient: -1250n, exponent: -2 });
    expect(parseDecimal('1.5E+3')).toEqual({ coefficient: 15n, exponent: 2 });
    expect(parseDecimal('1e-7')).toEqual({ coefficient: 1n, exponent: -7 });
    expect(parseDecimal('.5')).toEqual({ coefficient: 5n, exponent: -1 });
    for (const bad of ['', '-', '.', '1..2', 'NaN', '1e', 'abc']) expect(() => parseDecimal(bad)).toThrow(DecimalFormatError);
  });

  test('formats plain decimals without exponent, trailing zeros or negative zero', () => {
    expect(formatDecimal(parseDecimal('1.5E+3'))).toBe('1500');
    expect(formatDecimal(parseDecimal('1e-7'))).toBe('0.0000001');
    expect(formatDecimal(parseDecimal('-12.50'))).toBe('-12.5');
    expect(formatDecimal(parseDecimal('-0.000'))).toBe('0');
    expect(formatDecimal(parseDecimal('123.456'))).toBe('123.456');
  });

  test('adds exactly where floating point does not: 0.1 + 0.2 = 0.3', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(sum([0.1, 0.2])).toBe('0.3');
    expect(sum([21.37, -4.05, 1000.1, 1e-7])).toBe('1017.4200001');
  });

  test('the sum does not depend on the order of the terms', () => {
    const reading = fc.double({ min: -60, max: 125, noNaN: true, noDefaultInfinity: true });
    fc.assert(fc.property(fc.array(reading, { maxLength: 40 }), (values) => {
      const reversed = [...values].reverse();
      const sorted = [...values].sort((a, b) => a - b);
      expect(sum(reversed)).toBe(sum(values));
      expect(sum(sorted)).toBe(sum(values));
    }));
  });

  test('rounds half-even to 38 significant digits (what DynamoDB stores)', () => {
    expect(formatDecimal(parseDecimal('1.00000000000000000000000000000000000005'))).toBe('1');
    expect(formatDecimal(parseDecimal('1.00000000000000000000000000000000000015'))).toBe('1.0000000000000000000000000000000000002');
    expect(formatDecimal(parseDecimal('9.99999999999999999999999999999999999999'))).toBe('10');
    expect(formatDecimal(parseDecimal('123'), 2)).toBe('120');
    expect(formatDecimal(parseDecimal('-125'), 2)).toBe('-120');
  });
});

describe('ExactSum (safe-integer fast path, BigInt beyond)', () => {
  const slowSum = (start: string, values: readonly number[]): string =>
    formatDecimal(values.reduce((acc, v) => addDecimals(acc, decimalOfNumber(v)), parseDecimal(start)));
  const fastSum = (start: string, values: readonly number[]): string => {
    const sum = new ExactSum(parseDecimal(start));
    for (const v of values) sum.addNumber(v);
    return formatDecimal(sum.value());
  };

  test('equals the BigInt sum for sensor-like values (a few decimals)', () => {
    const sensor = fc.tuple(fc.integer({ min: -6000, max: 12500 }), fc.constantFrom(1, 10, 100, 1000)).map(([n, d]) => n / d);
    fc.assert(fc.property(fc.constantFrom('0', '1500', '-12.25', '0.001'), fc.array(sensor, { maxLength: 80 }), (start, values) => {
      expect(fastSum(start, values)).toBe(slowSum(start, values));
    }));
  });

  test('equals the BigInt sum for any doubles (long fractions, tiny and huge magnitudes)', () => {
    const any = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 });
    fc.assert(fc.property(fc.array(any, { maxLength: 30 }), (values) => {
      expect(fastSum('0', values)).toBe(slowSum('0', values));
    }));
  });

  test('leaves the safe-integer range without losing a digit', () => {
    expect(fastSum('0', [9007199254740991, 1, 1])).toBe('9007199254740993');
    expect(fastSum('0', [0.1, 1e-7, 123456789.12345])).toBe('123456789.2234501');
  });
});


import fc from 'fast-check';
import { lsnToCommitPosition } from '../../../../lib/cdc/change-event';
import { addToLsn, compareLsn, formatLsn, InvalidLsnError, lsnDistance, lsnFromBuffer, lsnOfCommitPosition, maxLsn, parseLsn } from '../../../../lib/cdc/capture/lsn';

describe('LSN math', () => {
  test('parses and prints PostgreSQL LSN text (upper-case, no leading zeros per half)', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('16/b374d848')).toBe(0x16b374d848n);
    expect(parseLsn('FFFFFFFF/FFFFFFFF')).toBe((1n << 64n) - 1n);
    expect(formatLsn(0x16b374d848n)).toBe('16/B374D848');
    expect(formatLsn(0n)).toBe('0/0');
  });

  test('rejects what is not an LSN', () => {
    for (const text of ['', '0', '0/', '/1', '1/2/3', 'G/0', '123456789/0', '0/123456789', ' 0/1']) expect(() => parseLsn(text)).toThrow(InvalidLsnError);
    expect(() => formatLsn(-1n)).toThrow(RangeError);
    expect(() => formatLsn(1n << 64n)).toThrow(RangeError);
  });

  test('minus one borrows across the 32-bit halves (the value acknowledged for a commit end)', () => {
    expect(addToLsn('1/0', -1)).toBe('0/FFFFFFFF');
    expect(addToLsn('0/FFFFFFFF', 1)).toBe('1/0');
    expect(addToLsn('A/1', -1)).toBe('A/0');
    expect(() => addToLsn('0/0', -1)).toThrow(RangeError);
  });

  test('compares numerically, not as text', () => {
    expect(compareLsn('0/9', '0/10')).toBeLessThan(0);
    expect(compareLsn('1/0', '0/FFFFFFFF')).toBeGreaterThan(0);
    expect(compareLsn('0/A', '0/a')).toBe(0);
    expect(maxLsn('0/9', '0/10')).toBe('0/10');
    expect(lsnDistance('1/0', '0/FFFFFF00')).toBe(256n);
  });

  test('commit positions and LSNs convert both ways and sort alike', () => {
    const lsn = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    fc.assert(
      fc.property(lsn, lsn, (a, b) => {
        const [x, y] = [formatLsn(a), formatLsn(b)];
        expect(parseLsn(x)).toBe(a);
        expect(lsnOfCommitPosition(lsnToCommitPosition(x))).toBe(x);
        const byText = lsnToCommitPosition(x) < lsnToCommitPosition(y) ? -1 : lsnToCommitPosition(x) > lsnToCommitPosition(y) ? 1 : 0;
        expect(byText).toBe(Math.sign(compareLsn(x, y)));
      }),
    );
    expect(() => lsnOfCommitPosition('00000000016b3748')).toThrow(InvalidLsnError);
  });

  test('reads a 64-bit big-endian LSN off the wire', () => {
    const buffer = Buffer.from([0xff, 0x00, 0x00, 0x00, 0x16, 0xb3, 0x74, 0xd8, 0x48]);
    expect(lsnFromBuffer(buffer, 1)).toBe('16/B374D848');
  });
});

import fc from 'fast-check';
import { normaliseTimestamp } from '../../../lib/formats/timestamp';

describe('normaliseTimestamp', () => {
  describe('accepts and normalises to ISO-8601 UTC with milliseconds', () => {
    test.each([
      ['Z', '2026-11-26T17:43:37Z', '2026-11-26T17:43:37.000Z'],
      ['lower-case z', '2026-11-26T17:43:37z', '2026-11-26T17:43:37.000Z'],
      ['+hh:mm', '2026-11-26T17:43:37+02:00', '2026-11-26T15:43:37.000Z'],
      ['-hhmm', '2026-11-26T17:43:37-0500', '2026-11-26T22:43:37.000Z'],
      ['+hh', '2026-11-26T17:43:37+05', '2026-11-26T12:43:37.000Z'],
      ['+hh:mm with minutes', '2026-11-26T17:43:37+05:30', '2026-11-26T12:13:37.000Z'],
      ['-00:00', '2026-11-26T17:43:37-00:00', '2026-11-26T17:43:37.000Z'],
      ['space separator', '2026-11-26 17:43:37Z', '2026-11-26T17:43:37.000Z'],
      ['space separator with an offset', '2026-11-26 17:43:37+01:00', '2026-11-26T16:43:37.000Z'],
      ['no zone (read as UTC)', '2026-11-26T17:43:37', '2026-11-26T17:43:37.000Z'],
      ['no zone, with a fraction', '2026-11-26T17:43:37.5', '2026-11-26T17:43:37.500Z'],
      ['1-digit fraction', '2026-11-26T17:43:37.1Z', '2026-11-26T17:43:37.100Z'],
      ['2-digit fraction', '2026-11-26T17:43:37.12Z', '2026-11-26T17:43:37.120Z'],
      ['3-digit fraction', '2026-11-26T17:43:37.123Z', '2026-11-26T17:43:37.123Z'],
      ['6-digit fraction (truncated, not rounded)', '2026-11-26T17:43:37.123999Z', '2026-11-26T17:43:37.123Z'],
      ['9-digit fraction', '2026-11-26T17:43:37.987654321+01:00', '2026-11-26T16:43:37.987Z'],
      ['comma as the decimal sign', '2026-11-26T17:43:37,25Z', '2026-11-26T17:43:37.250Z'],
    ])('%s: %s', (_name, input, expected) => {
      expect(normaliseTimestamp(input)).toBe(expected);
    });
  });

  describe('crosses day, month and year boundaries when shifting to UTC', () => {
    test.each([
      ['2026-11-26T01:00:00+02:00', '2026-11-25T23:00:00.000Z'],
      ['2026-11-25T22:00:00-05:00', '2026-11-26T03:00:00.000Z'],
      ['2026-03-01T00:30:00+01:00', '2026-02-28T23:30:00.000Z'],
      ['2024-03-01T00:30:00+01:00', '2024-02-29T23:30:00.000Z'],
      ['2027-01-01T00:15:00+00:30', '2026-12-31T23:45:00.000Z'],
      ['2026-12-31T23:00:00-02:00', '2027-01-01T01:00:00.000Z'],
      ['2000-02-29T23:00:00-02:00', '2000-03-01T01:00:00.000Z'],
    ])('%s → %s', (input, expected) => {
      expect(normaliseTimestamp(input)).toBe(expected);
    });
  });

  test('accepts 29 February in a leap year only', () => {
    expect(normaliseTimestamp('2024-02-29T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z');
    expect(normaliseTimestamp('2000-02-29T00:00:00Z')).toBe('2000-02-29T00:00:00.000Z');
    expect(normaliseTimestamp('2025-02-29T00:00:00Z')).toBeUndefined();
    expect(normaliseTimestamp('1900-02-29T00:00:00Z')).toBeUndefined();
  });

  test('rejects instants that fall outside the years 0000–9999 once in UTC', () => {
    expect(normaliseTimestamp('0000-01-01T00:30:00+01:00')).toBeUndefined();
    expect(normaliseTimestamp('9999-12-31T23:30:00-01:00')).toBeUndefined();
    expect(normaliseTimestamp('9999-12-31T23:59:59.999Z')).toBe('9999-12-31T23:59:59.999Z');
  });

  describe('rejects', () => {
    test.each([
      ['a day the month does not have', '2026-02-30T00:00:00Z'],
      ['31 April', '2026-04-31T00:00:00Z'],
      ['month 13', '2026-13-01T00:00:00Z'],
      ['month 00', '2026-00-10T00:00:00Z'],
      ['day 00', '2026-01-00T00:00:00Z'],
      ['a date Date.parse accepts', 'Nov 26 2026'],
      ['a date Date.parse accepts, long enough', 'Thu Nov 26 2026 17:43:37 GMT'],
      ['hour 24', '2026-11-26T24:00:00Z'],
      ['minute 60', '2026-11-26T23:60:00Z'],
      ['second 60', '2026-11-26T23:59:60Z'],
      ['empty', ''],
      ['date only', '2026-11-26'],
      ['trailing garbage', '2026-11-26T17:43:37Zjunk'],
      ['trailing space', '2026-11-26T17:43:37Z '],
      ['garbage after an offset', '2026-11-26T17:43:37+02:00x'],
      ['a fraction without digits', '2026-11-26T17:43:37.Z'],
      ['a 10-digit fraction', '2026-11-26T17:43:37.1234567890Z'],
      ['an offset hour of 24', '2026-11-26T17:43:37+24:00'],
      ['an offset minute of 60', '2026-11-26T17:43:37+01:60'],
      ['a 3-digit offset', '2026-11-26T17:43:37+020'],
      ['a malformed offset', '2026-11-26T17:43:37+02-00'],
      ['a zone name', '2026-11-26T17:43:37 UTC'],
      ['a lower-case t separator', '2026-11-26t17:43:37Z'],
      ['a slash date', '2026/11/26T17:43:37Z'],
      ['a signed year', '+026-11-26T17:43:37Z'],
      ['non-digits in the time', '2026-11-26T1a:43:37Z'],
    ])('%s: %j', (_name, input) => {
      expect(normaliseTimestamp(input)).toBeUndefined();
    });
  });

  test('agrees with Date arithmetic for any valid timestamp and offset (property)', () => {
    const pad = (n: number, width: number): string => String(n).padStart(width, '0');
    const daysIn = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate();
    const timestamp = fc
      .record({
        year: fc.integer({ min: 1000, max: 9998 }),
        month: fc.integer({ min: 1, max: 12 }),
        dayIndex: fc.nat(),
        hour: fc.integer({ min: 0, max: 23 }),
        minute: fc.integer({ min: 0, max: 59 }),
        second: fc.integer({ min: 0, max: 59 }),
        fraction: fc.option(fc.stringMatching(/^[0-9]{1,9}$/), { nil: undefined }),
        offsetMinutes: fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
        zoneStyle: fc.constantFrom('colon', 'compact', 'hours', 'none', 'Z'),
        separator: fc.constantFrom('T', ' '),
      })
      .map((t) => ({ ...t, day: (t.dayIndex % daysIn(t.year, t.month)) + 1 }));
    fc.assert(
      fc.property(timestamp, (t) => {
        const offset = t.zoneStyle === 'hours' ? Math.trunc(t.offsetMinutes / 60) * 60 : t.zoneStyle === 'none' || t.zoneStyle === 'Z' ? 0 : t.offsetMinutes;
        const sign = offset < 0 ? '-' : '+';
        const hh = pad(Math.floor(Math.abs(offset) / 60), 2), mm = pad(Math.abs(offset) % 60, 2);
        const zone = { colon: `${sign}${hh}:${mm}`, compact: `${sign}${hh}${mm}`, hours: `${sign}${hh}`, none: '', Z: 'Z' }[t.zoneStyle];
        const text = `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}${t.separator}${pad(t.hour, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)}${t.fraction === undefined ? '' : `.${t.fraction}`}${zone}`;
        const ms = t.fraction === undefined ? 0 : Number((t.fraction + '00').slice(0, 3));
        const expected = new Date(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, ms) - offset * 60_000).toISOString();
        expect(normaliseTimestamp(text)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

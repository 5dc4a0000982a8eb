import { generateTelemetry } from '../../../lib/datasets/telemetry';
import { parseReading, readingId, readingMinute } from '../../../lib/telemetry/reading';

const bytes = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const valid = { ...[...generateTelemetry(1)][0]! };

describe('parseReading', () => {
  it('accepts every generated reading and normalises its timestamp to UTC', () => {
    for (const reading of generateTelemetry(500, { devices: 20 })) {
      const result = parseReading(bytes(reading));
      if (!result.ok) throw new Error(JSON.stringify(result.error));
      expect(result.reading.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(result.reading.timestampMs).toBe(Date.parse(reading.timestamp));
    }
  });

  it('converts zone offsets', () => {
    const result = parseReading(bytes({ ...valid, timestamp: '2026-11-25T23:30:00.5+01:00' }));
    expect(result.ok && result.reading.timestamp).toBe('2026-11-25T22:30:00.500Z');
  });

  it.each([
    ['not JSON', '{"device_id":', undefined, /not JSON/],
    ['an array', '[1]', undefined, /JSON object, got an array/],
    ['a string', '"x"', undefined, /JSON object/],
    ['a temperature out of range', { ...valid, temperature_c: 400 }, 'temperature_c', /<= 125/],
    ['an unknown status', { ...valid, status: 'on fire' }, 'status', /allowed values/],
    ['a missing field', { ...valid, seq: undefined }, undefined, /seq/],
    ['an extra field', { ...valid, colour: 'red' }, undefined, /additional/],
    ['a bad device id', { ...valid, device_id: 'A B' }, 'device_id', /pattern/],
    ['an impossible date', { ...valid, timestamp: '2026-02-30T00:00:00Z' }, 'timestamp', /ISO-8601/],
  ])('rejects %s, naming the field', (_name, input, field, reason) => {
    const result = parseReading(bytes(input));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.field).toBe(field);
      expect(result.error.reason).toMatch(reason);
    }
  });

  it('identifies a reading by device and instant, and buckets it by UTC minute', () => {
    expect(readingId({ device_id: 'sensor-0001', timestamp: '2026-11-25T22:00:59.999Z' })).toBe('sensor-0001|2026-11-25T22:00:59.999Z');
    expect(readingMinute({ timestamp: '2026-11-25T22:00:59.999Z' })).toBe('2026-11-25T22:00Z');
  });
});

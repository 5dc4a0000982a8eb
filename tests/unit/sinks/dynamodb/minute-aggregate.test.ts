import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { formatDecimal } from '../../../../lib/sinks/dynamodb/decimal';
import { addReadings, aggregateUpdate, CorruptAggregateError, memberOf, parseAggregateItem } from '../../../../lib/sinks/dynamodb/minute-aggregate';
import { reading, resolvedCondition, updateClauses } from './support';

const key = { device_id: 'sensor-0001', minute: '2026-11-25T22:00Z' };

describe('minute aggregates', () => {
  const a = reading({ timestamp: '2026-11-25T22:00:05.000Z', temperature_c: 20.1, pressure_hpa: null, status: 'ok' });
  const b = reading({ timestamp: '2026-11-25T22:00:01.500Z', temperature_c: 22.2, pressure_hpa: 1000.5, status: 'warning', rssi_dbm: -90 });
  const c = reading({ timestamp: '2026-11-25T22:00:59.999Z', temperature_c: -3.3, pressure_hpa: 999.5, status: 'ok' });

  test('a reading is identified within its minute by ss.mmm', () => {
    expect(memberOf(b)).toBe('01.500');
    expect(memberOf(c)).toBe('59.999');
  });

  test('counts, exact sums, min/max, a nullable metric counted apart, first/last and statuses', () => {
    const aggregate = addReadings(addReadings(undefined, [a]), [b, c]);
    expect(aggregate.count).toBe(3);
    expect(aggregate.firstTimestamp).toBe('2026-11-25T22:00:01.500Z');
    expect(aggregate.lastTimestamp).toBe('2026-11-25T22:00:59.999Z');
    expect(aggregate.statusCounts).toEqual({ ok: 2, warning: 1 });
    expect([...aggregate.members].sort()).toEqual(['01.500', '05.000', '59.999']);
    const temperature = aggregate.metrics.temperature_c!;
    expect([temperature.count, formatDecimal(temperature.sum), temperature.min, temperature.max]).toEqual([3, '39', -3.3, 22.2]);
    const pressure = aggregate.metrics.pressure_hpa!;
    expect([pressure.count, formatDecimal(pressure.sum), pressure.min, pressure.max]).toEqual([2, '2000', 999.5, 1000.5]);
  });

  test('a nullable metric no reading had is absent', () => {
    expect(addReadings(undefined, [a]).metrics.pressure_hpa).toBeUndefined();
  });

  test('the update writes every value, ADDs only the new members, and creates only if absent', () => {
    const { input, bytes } = aggregateUpdate('aggs', { key, next: addReadings(undefined, [a, b]), added: ['05.000', '01.500'], expectedVersion: undefined, expiresAt: 123, updatedAt: '2026-11-26T00:00:00.000Z' });
    const { set, add } = updateClauses(input);
    expect(set).toMatchObject({
      count: { N: '2' },
      first_timestamp: { S: '2026-11-25T22:00:01.500Z' },
      last_timestamp: { S: '2026-11-25T22:00:05.000Z' },
      status_counts: { M: { ok: { N: '1' }, warning: { N: '1' }, fault: { N: '0' } } },
      temperature_c_sum: { N: '42.3' },
      temperature_c_min: { N: '20.1' },
      temperature_c_max: { N: '22.2' },
      pressure_hpa_count: { N: '1' },
      pressure_hpa_sum: { N: '1000.5' },
      rssi_dbm_min: { N: '-90' },
      expires_at: { N: '123' },
      version: { N: '1' },
    });
    expect(add).toEqual({ readings: { SS: ['05.000', '01.500'] } });
    expect(resolvedCondition(input)).toBe('attribute_not_exists(device_id)');
    expect(input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    expect(input.Key).toEqual({ device_id: { S: key.device_id }, minute: { S: key.minute } });
    expect(bytes).toBeGreaterThan(200);
    expect(bytes).toBeLessThan(1024);
  });

  test('an update of a stored aggregate expects its version', () => {
    const { input } = aggregateUpdate('aggs', { key, next: addReadings(undefined, [a]), added: ['05.000'], expectedVersion: 4, expiresAt: 1, updatedAt: 'x' });
    expect(resolvedCondition(input)).toBe('version = {"N":"4"}');
    expect(updateClauses(input).set.version).toEqual({ N: '5' });
  });

  test('what the update writes reads back as the same aggregate', () => {
    const next = addReadings(undefined, [a, b, c]);
    const { input } = aggregateUpdate('aggs', { key, next, added: [...next.members], expectedVersion: 2, expiresAt: 1, updatedAt: 'x' });
    const { set, add } = updateClauses(input);
    const item: Record<string, AttributeValue> = { ...input.Key, ...set, ...add };
    const stored = parseAggregateItem(item);
    expect(stored.version).toBe(3);
    expect(stored.aggregate.count).toBe(3);
    expect(stored.aggregate.members).toEqual(next.members);
    const plain = (metrics: typeof next.metrics) => Object.fromEntries(Object.entries(metrics).map(([m, s]) => [m, { ...s, sum: formatDecimal(s.sum) }]));
    expect(plain(stored.aggregate.metrics)).toEqual(plain(next.metrics));
    expect(Object.keys(stored.aggregate.metrics).sort()).toEqual(['battery_pct', 'humidity_pct', 'pressure_hpa', 'rssi_dbm', 'temperature_c']);
    expect(stored.aggregate.statusCounts).toEqual({ ok: 2, warning: 1, fault: 0 });
  });

  test('an item without a version is corrupt, not silently a new aggregate', () => {
    expect(() => parseAggregateItem({ device_id: { S: 'd' }, minute: { S: 'm' }, count: { N: '1' } })).toThrow(CorruptAggregateError);
  });
});

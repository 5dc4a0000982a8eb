import { fieldPartitionKey, hotShardSummary, partitionKeyStrategy, randomPartitionKey } from '../../../../lib/kinesis/producer';

describe('partition key strategies', () => {
  test('by field: strings as they are, numbers and booleans as text, nothing for missing or structured values', () => {
    const byDevice = fieldPartitionKey('device_id');
    expect(byDevice({ device_id: 'sensor-0001' })).toBe('sensor-0001');
    expect(byDevice({ device_id: 17 })).toBe('17');
    expect(byDevice({ device_id: 17n })).toBe('17');
    expect(byDevice({ device_id: true })).toBe('true');
    expect(byDevice({ device_id: null })).toBeUndefined();
    expect(byDevice({ device_id: { id: 1 } })).toBeUndefined();
    expect(byDevice({ device_id: Number.NaN })).toBeUndefined();
    expect(byDevice({ other: 'x' })).toBeUndefined();
    expect(fieldPartitionKey('toString')({})).toBeUndefined();
  });

  test('random: short base-36 keys from the given random source', () => {
    expect(randomPartitionKey(() => 0)).toBe('0');
    expect(randomPartitionKey(() => 1 - 2 ** -53)).toBe((0xffffffff).toString(36));
    expect(randomPartitionKey().length).toBeLessThanOrEqual(7);
    expect(partitionKeyStrategy('random', () => 0.5)({})).toBe((0x80000000).toString(36));
    expect(partitionKeyStrategy('user_id')({ user_id: 'u1' })).toBe('u1');
  });
});

describe('hotShardSummary', () => {
  const stats = (bytes: number) => ({ userRecords: 1, kinesisRecords: 1, bytes });

  test('compares the hottest shard’s share of bytes with an even share', () => {
    expect(hotShardSummary({ a: stats(50), b: stats(50) })).toEqual({ hottestShardId: 'a', maxShare: 0.5, evenShare: 0.5, ratio: 1 });
    expect(hotShardSummary({ a: stats(10), b: stats(30) }, 4)).toEqual({ hottestShardId: 'b', maxShare: 0.75, evenShare: 0.25, ratio: 3 });
    expect(hotShardSummary({}, 4)).toEqual({ hottestShardId: undefined, maxShare: 0, evenShare: 0.25, ratio: 0 });
  });
});

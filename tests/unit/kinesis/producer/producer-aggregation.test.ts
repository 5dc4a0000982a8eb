import { ListShardsCommand } from '@aws-sdk/client-kinesis';
import { deaggregate, isAggregated } from '../../../../lib/kinesis/aggregation';
import { effectiveHashKey, partitionKeyHash } from '../../../../lib/kinesis/hash-key';
import { KinesisProducer, type KinesisProducerOptions } from '../../../../lib/kinesis/producer';
import { evenShardRanges } from '../../../../lib/kinesis/throughput-model';
import { FakeKinesis, noSleep, type SentEntry } from './fake-kinesis';

function producerFor(fake: FakeKinesis, options: Partial<KinesisProducerOptions> = {}): KinesisProducer {
  return new KinesisProducer({ client: fake.client, streamName: 'telemetry', sleep: noSleep, ...options });
}

const userRecordsOf = (entry: SentEntry) => deaggregate(entry.data, entry);

describe('KinesisProducer aggregation', () => {
  test('aggregates per target shard: every user record of an aggregate maps to the shard its explicit hash key is in', async () => {
    const fake = new FakeKinesis(4);
    const producer = producerFor(fake);
    const put: string[] = [];
    for (let i = 0; i < 3_000; i++) {
      const data = JSON.stringify({ device_id: `sensor-${i % 53}`, seq: i, pad: 'x'.repeat(i % 90) });
      put.push(`sensor-${i % 53}|${data}`);
      await producer.put(data, { partitionKey: `sensor-${i % 53}` });
    }
    const report = await producer.close();
    expect(fake.listShardsCalls).toBe(1);

    const entries = fake.requests.flat();
    const got: string[] = [];
    for (const entry of entries) {
      const shard = fake.shardOf(entry);
      expect(entry.data.length + Buffer.byteLength(entry.partitionKey)).toBeLessThanOrEqual(1024 * 1024);
      if (isAggregated(entry.data)) {
        expect(entry.data.length).toBeLessThanOrEqual(51_200);
        // The explicit hash key lies in the shard's range, and is the first user record's hash.
        const ehk = BigInt(entry.explicitHashKey!);
        expect(ehk >= shard.startingHashKey && ehk <= shard.endingHashKey).toBe(true);
        const users = userRecordsOf(entry);
        expect(users.length).toBeGreaterThan(1);
        expect(ehk).toBe(partitionKeyHash(users[0]!.partitionKey));
        expect(entry.partitionKey).toBe(users[0]!.partitionKey);
        for (const user of users) {
          const hash = effectiveHashKey(user.partitionKey, user.explicitHashKey);
          expect(hash >= shard.startingHashKey && hash <= shard.endingHashKey).toBe(true);
          got.push(`${user.partitionKey}|${user.data.toString()}`);
        }
      } else got.push(`${entry.partitionKey}|${entry.data.toString()}`);
    }
    expect(got.sort()).toEqual([...put].sort());
    expect(report.userRecordsWritten).toBe(3_000);
    expect(report.kinesisRecordsWritten).toBe(entries.length);
    expect(entries.length).toBeLessThan(100);
    const perShard = Object.values(report.shards);
    expect(perShard).toHaveLength(4);
    expect(perShard.reduce((s, x) => s + x.userRecords, 0)).toBe(3_000);
    expect(perShard.reduce((s, x) => s + x.kinesisRecords, 0)).toBe(entries.length);
    expect(report.kinesisBytesWritten).toBe(entries.reduce((s, e) => s + e.data.length + Buffer.byteLength(e.partitionKey), 0));
    expect(report.shardMismatches).toBe(0);
  });

  test('user explicit hash keys place user records, and survive aggregation', async () => {
    const fake = new FakeKinesis(4);
    const ranges = evenShardRanges(4);
    const producer = producerFor(fake);
    // Every record pinned to the last shard by its explicit hash key, whatever its partition key.
    for (let i = 0; i < 20; i++) await producer.put(`r${i}`, { partitionKey: `k${i}`, explicitHashKey: (ranges[3]!.startingHashKey + BigInt(i)).toString() });
    const report = await producer.close();
    expect(Object.keys(report.shards)).toEqual([ranges[3]!.shardId]);
    const [entry, ...rest] = fake.requests.flat();
    expect(rest).toHaveLength(0);
    expect(entry!.explicitHashKey).toBe(ranges[3]!.startingHashKey.toString());
    expect(userRecordsOf(entry!).map((u) => u.explicitHashKey)).toEqual(Array.from({ length: 20 }, (_, i) => (ranges[3]!.startingHashKey + BigInt(i)).toString()));
  });

  test('closes an aggregate at aggregationMaxBytes / aggregationMaxCount; a lone or oversize user record goes plain', async () => {
    const fake = new FakeKinesis(1);
    const producer = producerFor(fake, { aggregationMaxBytes: 1_000, aggregationMaxCount: 4 });
    for (let i = 0; i < 9; i++) await producer.put(Buffer.alloc(100, i), { partitionKey: 'p' });
    await producer.put(Buffer.alloc(2_000, 9), { partitionKey: 'big' });
    const report = await producer.close();
    const entries = fake.requests.flat();
    expect(entries.map((e) => (isAggregated(e.data) ? userRecordsOf(e).length : 'plain'))).toEqual([4, 4, 'plain', 'plain']);
    expect(entries[2]!.data).toEqual(Buffer.alloc(100, 8));
    expect(entries[3]!.data).toEqual(Buffer.alloc(2_000, 9));
    expect(entries[3]!.explicitHashKey).toBeUndefined();
    expect(report.userRecordsWritten).toBe(10);

    const bySize = new FakeKinesis(1);
    const sized = producerFor(bySize, { aggregationMaxBytes: 1_000 });
    for (let i = 0; i < 20; i++) await sized.put(Buffer.alloc(100), { partitionKey: 'p' });
    await sized.close();
    for (const entry of bySize.requests.flat()) expect(entry.data.length).toBeLessThanOrEqual(1_000);
    expect(bySize.requests.flat().map((e) => userRecordsOf(e).length)).toEqual([9, 9, 2]);
  });

  test('a record landing on another shard than planned (resharding) refreshes the shard map', async () => {
    const fake = new FakeKinesis(1);
    // ListShards still shows one shard, but the stream was split: Kinesis routes by two.
    fake.listed = evenShardRanges(1);
    fake.routing = [
      { shardId: 'shardId-000000000001', startingHashKey: 0n, endingHashKey: (1n << 127n) - 1n },
      { shardId: 'shardId-000000000002', startingHashKey: 1n << 127n, endingHashKey: (1n << 128n) - 1n },
    ];
    const producer = producerFor(fake);
    const keys = Array.from({ length: 40 }, (_, i) => `device-${i}`);
    for (const key of keys) await producer.put(key, { partitionKey: key });
    // After the first request returns with mismatched shard ids, ListShards reports the children.
    fake.listed = fake.routing;
    await producer.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.listShardsCalls).toBe(2);
    for (const key of keys) await producer.put(`${key}-again`, { partitionKey: key });
    const report = await producer.close();
    expect(report.shardMismatches).toBeGreaterThan(0);
    expect(report.shardMapRefreshes).toBe(1);
    // After the refresh, every aggregate holds only user records of its own (child) shard.
    const after = fake.requests.slice(1).flat();
    expect(after.length).toBeGreaterThan(0);
    for (const entry of after) {
      const shard = fake.shardOf(entry);
      for (const user of isAggregated(entry.data) ? userRecordsOf(entry) : [{ partitionKey: entry.partitionKey, explicitHashKey: undefined }]) {
        const hash = effectiveHashKey(user.partitionKey, user.explicitHashKey);
        expect(hash >= shard.startingHashKey && hash <= shard.endingHashKey).toBe(true);
      }
    }
    expect(report.userRecordsWritten).toBe(80);
  });

  test('a ListShards failure rejects the put, and the next put tries again', async () => {
    const fake = new FakeKinesis(2);
    let fail = true;
    fake.mock.on(ListShardsCommand).callsFake(() => {
      if (fail) return Promise.reject(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
      return Promise.resolve({ Shards: [] });
    });
    const producer = producerFor(fake);
    await expect(producer.put('a', { partitionKey: 'p' })).rejects.toMatchObject({ name: 'AccessDeniedException' });
    fail = false;
    // An empty listing: no shard to aggregate for, so the record goes plain.
    await producer.put('b', { partitionKey: 'p' });
    const report = await producer.close();
    expect(report.userRecordsWritten).toBe(1);
  });
});

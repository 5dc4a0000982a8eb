import { KinesisClient, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { MAX_HASH_KEY } from '../../../lib/kinesis/hash-key';
import { ShardMap, ShardMapError, listOpenShards } from '../../../lib/kinesis/shard-map';
import { evenShardRanges } from '../../../lib/kinesis/throughput-model';
import { toShard } from './producer/fake-kinesis';

describe('ShardMap', () => {
  const ranges = evenShardRanges(4);

  test('lists page by page (NextToken alone on later pages), keeps open shards only, sorted by hash key', async () => {
    const client = new KinesisClient({ region: 'eu-west-1' });
    const mock = mockClient(client);
    const parent = { shardId: 'shardId-000000000009', startingHashKey: 0n, endingHashKey: MAX_HASH_KEY };
    mock
      .on(ListShardsCommand, { StreamName: 'telemetry' })
      .resolves({ Shards: [toShard(parent, true), toShard(ranges[2]!), toShard(ranges[3]!)], NextToken: 'page-2' })
      .on(ListShardsCommand, { NextToken: 'page-2' })
      .resolves({ Shards: [toShard(ranges[1]!), toShard(ranges[0]!)] });
    const shards = await listOpenShards(client, { streamName: 'telemetry', streamArn: 'arn:aws:kinesis:eu-west-1:1:stream/telemetry' });
    expect(shards).toEqual(ranges);
    const inputs = mock.commandCalls(ListShardsCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      { StreamName: 'telemetry', StreamARN: 'arn:aws:kinesis:eu-west-1:1:stream/telemetry', ShardFilter: { Type: 'AT_LATEST' } },
      { NextToken: 'page-2' },
    ]);
  });

  test('shardFor finds the shard holding a hash key, edges included', async () => {
    const client = new KinesisClient({ region: 'eu-west-1' });
    mockClient(client).on(ListShardsCommand).resolves({ Shards: ranges.map((r) => toShard(r)) });
    const map = await ShardMap.load(client, { streamName: 's' });
    expect(map.shardFor(0n)?.shardId).toBe(ranges[0]!.shardId);
    expect(map.shardFor(ranges[1]!.startingHashKey - 1n)?.shardId).toBe(ranges[0]!.shardId);
    expect(map.shardFor(ranges[1]!.startingHashKey)?.shardId).toBe(ranges[1]!.shardId);
    expect(map.shardFor(ranges[2]!.endingHashKey)?.shardId).toBe(ranges[2]!.shardId);
    expect(map.shardFor(MAX_HASH_KEY)?.shardId).toBe(ranges[3]!.shardId);
    expect(map.shardFor(MAX_HASH_KEY + 1n)).toBeUndefined();
  });

  test('refresh() lists again; concurrent refreshes share one run', async () => {
    const client = new KinesisClient({ region: 'eu-west-1' });
    const mock = mockClient(client);
    mock.on(ListShardsCommand).resolvesOnce({ Shards: [toShard(evenShardRanges(1)[0]!)] }).resolves({ Shards: evenShardRanges(2).map((r) => toShard(r)) });
    const map = await ShardMap.load(client, { streamName: 's' });
    expect(map.shards).toHaveLength(1);
    await Promise.all([map.refresh(), map.refresh()]);
    expect(mock.commandCalls(ListShardsCommand)).toHaveLength(2);
    expect(map.shards.map((s) => s.shardId)).toEqual(evenShardRanges(2).map((s) => s.shardId));
    expect(map.refreshes).toBe(1);
  });

  test('a shard without a hash key range is an error', async () => {
    const client = new KinesisClient({ region: 'eu-west-1' });
    // The API types make the range required; a malformed answer is still checked at run time.
    const malformed = { ShardId: 'shardId-1', SequenceNumberRange: { StartingSequenceNumber: '1' } } as unknown as Shard;
    mockClient(client).on(ListShardsCommand).resolves({ Shards: [malformed] });
    await expect(ShardMap.load(client, { streamName: 's' })).rejects.toBeInstanceOf(ShardMapError);
  });
});

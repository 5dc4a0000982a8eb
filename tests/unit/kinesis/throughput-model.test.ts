import { ShardThroughputModel, evenShardRanges, putRecordsAgainstModel } from '../../../lib/kinesis/throughput-model';

describe('ShardThroughputModel', () => {
  test('admits up to 1 MiB and 1,000 records a second per shard, then throttles until the next second', () => {
    let now = 0;
    const model = new ShardThroughputModel({ now: () => now });
    for (let i = 0; i < 1_000; i++) expect(model.admit('s1', 10).accepted).toBe(true);
    expect(model.admit('s1', 10)).toEqual({ accepted: false, errorCode: 'ProvisionedThroughputExceededException', errorMessage: 'Rate exceeded for shard s1.' });
    // Another shard has its own buckets.
    expect(model.admit('s2', 1024 * 1024).accepted).toBe(true);
    expect(model.admit('s2', 1).accepted).toBe(false);
    now = 999;
    expect(model.admit('s1', 1).accepted).toBe(false);
    now = 1_000;
    expect(model.admit('s1', 1).accepted).toBe(true);
    expect(model.admit('s2', 1024 * 1024 - 1).accepted).toBe(true);
  });

  test('a refused entry consumes nothing: a smaller one after it may pass', () => {
    const model = new ShardThroughputModel({ now: () => 0, bytesPerSecond: 100, recordsPerSecond: 10 });
    expect(model.admit('s', 60).accepted).toBe(true);
    expect(model.admit('s', 50).accepted).toBe(false);
    expect(model.admit('s', 40).accepted).toBe(true);
    expect(model.limits).toEqual({ bytesPerSecond: 100, recordsPerSecond: 10 });
  });

  test('answers PutRecords per entry, routed by hash key, counting data + partition key', () => {
    const model = new ShardThroughputModel({ now: () => 0, bytesPerSecond: 20 });
    const shards = evenShardRanges(2);
    const output = putRecordsAgainstModel(model, shards, {
      StreamName: 's',
      Records: [
        { PartitionKey: 'a', ExplicitHashKey: '0', Data: Buffer.alloc(9) }, // 10 bytes on shard 0
        { PartitionKey: 'b', ExplicitHashKey: '1', Data: Buffer.alloc(10) }, // 11: over the 10 left
        { PartitionKey: 'c', ExplicitHashKey: (shards[1]!.startingHashKey).toString(), Data: Buffer.alloc(19) },
      ],
    });
    expect(output.FailedRecordCount).toBe(1);
    expect(output.Records).toEqual([
      { ShardId: shards[0]!.shardId, SequenceNumber: '1' },
      { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: `Rate exceeded for shard ${shards[0]!.shardId}.` },
      { ShardId: shards[1]!.shardId, SequenceNumber: '1' },
    ]);
  });

  test('evenShardRanges covers the key space without gaps', () => {
    const ranges = evenShardRanges(3);
    expect(ranges[0]!.startingHashKey).toBe(0n);
    expect(ranges[2]!.endingHashKey).toBe((1n << 128n) - 1n);
    expect(ranges[1]!.startingHashKey).toBe(ranges[0]!.endingHashKey + 1n);
    expect(ranges[2]!.startingHashKey).toBe(ranges[1]!.endingHashKey + 1n);
  });
});

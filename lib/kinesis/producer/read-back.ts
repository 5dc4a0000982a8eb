/**
 * Reads a stream back from `TRIM_HORIZON`, shard by shard, and de-aggregates what it finds: how
 * the producer CLI's `--local` mode shows what landed where, and how tests check it. Meant for
 * small streams (everything is held in memory), not as a consumer.
 */
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { deaggregate, type UserRecord } from '../aggregation';
import { listOpenShards, type ShardRange, type StreamRef } from '../shard-map';

/** A user record as read back, with the Kinesis record it came in. */
export interface ReadBackRecord extends UserRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
}

export interface ShardContents {
  readonly shard: ShardRange;
  /** Kinesis records read from the shard. */
  readonly kinesisRecords: number;
  readonly userRecords: readonly ReadBackRecord[];
}

/** Every record of one shard, from the oldest, until a read comes back empty and not behind. */
export async function readShard(client: KinesisClient, stream: StreamRef, shard: ShardRange): Promise<ShardContents> {
  const { ShardIterator: first } = await client.send(
    new GetShardIteratorCommand({ StreamName: stream.streamName, ...(stream.streamArn ? { StreamARN: stream.streamArn } : {}), ShardId: shard.shardId, ShardIteratorType: 'TRIM_HORIZON' }),
  );
  const userRecords: ReadBackRecord[] = [];
  let kinesisRecords = 0;
  let iterator = first;
  while (iterator) {
    const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000, ...(stream.streamArn ? { StreamARN: stream.streamArn } : {}) }));
    const records = page.Records ?? [];
    for (const record of records) {
      kinesisRecords++;
      const data = Buffer.from(record.Data ?? new Uint8Array());
      for (const user of deaggregate(data, { partitionKey: record.PartitionKey ?? '' })) {
        userRecords.push({ ...user, shardId: shard.shardId, sequenceNumber: record.SequenceNumber ?? '' });
      }
    }
    if (records.length === 0 && !page.MillisBehindLatest) break;
    iterator = page.NextShardIterator;
  }
  return { shard, kinesisRecords, userRecords };
}

/** Every open shard's contents, in hash key order. */
export async function readStream(client: KinesisClient, stream: StreamRef): Promise<ShardContents[]> {
  const shards = await listOpenShards(client, stream);
  const contents: ShardContents[] = [];
  for (const shard of shards) contents.push(await readShard(client, stream, shard));
  return contents;
}

/**
 * One open KPL aggregate per target shard. Every user record of an aggregate maps to the same
 * shard, and the aggregate's `ExplicitHashKey` is the first user record's hash key, which lies in
 * that shard's range: Kinesis stores the aggregate on the very shard each of its user records
 * would have gone to alone. (Aggregates that mix shards lose data with KCL 2.x, which drops the
 * user records outside the range of the shard it reads.)
 */
import { AggregateBuilder } from '../aggregation';
import { plainRecord, type BufferedUserRecord, type OutgoingRecord } from './records';

export interface AggregationLimits {
  readonly aggregationMaxBytes: number;
  readonly aggregationMaxCount: number;
  /** The Kinesis record limit (data + partition key) the aggregate must also respect. */
  readonly maxRecordBytes: number;
}

interface OpenAggregate {
  readonly shardId: string;
  readonly builder: AggregateBuilder;
  readonly userRecords: BufferedUserRecord[];
  /** Hash key of the first user record: the aggregate's explicit hash key. */
  readonly firstHashKey: bigint;
  /** Data bytes the aggregate may reach, given its outer partition key. */
  readonly maxBytes: number;
}

export class ShardAggregator {
  private readonly open = new Map<string, OpenAggregate>();
  private openUserRecords = 0;

  constructor(
    private readonly limits: AggregationLimits,
    /** Receives every Kinesis record the aggregator completes, in order. */
    private readonly emit: (record: OutgoingRecord) => void,
  ) {}

  /** User records in open aggregates. */
  get pending(): number {
    return this.openUserRecords;
  }

  /** Adds a user record whose hash key maps to `shardId`; closes that shard's aggregate first if it would overflow. */
  add(user: BufferedUserRecord, hashKey: bigint, shardId: string): void {
    let aggregate = this.open.get(shardId);
    if (aggregate && (aggregate.userRecords.length >= this.limits.aggregationMaxCount || aggregate.builder.sizeWith(user) > aggregate.maxBytes)) {
      this.close(aggregate);
      aggregate = undefined;
    }
    if (!aggregate) {
      const maxBytes = Math.min(this.limits.aggregationMaxBytes, this.limits.maxRecordBytes - user.partitionKeyBytes);
      const builder = new AggregateBuilder();
      // Too big to share an aggregate: it goes alone, as a plain record.
      if (builder.sizeWith(user) > maxBytes) {
        this.emit(plainRecord(user, shardId));
        return;
      }
      aggregate = { shardId, builder, userRecords: [], firstHashKey: hashKey, maxBytes };
      this.open.set(shardId, aggregate);
    }
    aggregate.builder.add(user);
    aggregate.userRecords.push(user);
    this.openUserRecords++;
  }

  /** Closes every open aggregate (or those `which` selects by shard id). */
  closeAll(which: (shardId: string) => boolean = () => true): void {
    for (const aggregate of [...this.open.values()]) if (which(aggregate.shardId)) this.close(aggregate);
  }

  private close(aggregate: OpenAggregate): void {
    this.open.delete(aggregate.shardId);
    this.openUserRecords -= aggregate.userRecords.length;
    const [first, ...rest] = aggregate.userRecords;
    if (!first) return;
    // One user record needs no aggregate (the KPL sends it plain too).
    if (rest.length === 0) {
      this.emit(plainRecord(first, aggregate.shardId));
      return;
    }
    const data = aggregate.builder.build();
    this.emit({
      partitionKey: first.partitionKey,
      explicitHashKey: aggregate.firstHashKey.toString(10),
      data,
      bytes: data.length + first.partitionKeyBytes,
      userRecords: aggregate.userRecords,
      plannedShardId: aggregate.shardId,
      attempts: 0,
    });
  }
}

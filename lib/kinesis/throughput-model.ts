/**
 * A local model of Kinesis's per-shard write limits, for benchmarks and fake clients: each shard
 * takes at most `bytesPerSecond` (data + partition key) and `recordsPerSecond` Kinesis records per
 * second. Each shard has two token buckets, filled to one second's worth at the start of every
 * second of the clock; an entry that would overdraw either is refused with
 * `ProvisionedThroughputExceededException`, and a refused entry consumes nothing (as on AWS, later
 * smaller entries of the same request may still pass).
 *
 * AWS documents the write limit as "1 MB per second"; the KPL's own limiter counts 1 MiB, which is
 * the default here. Real shards tolerate short bursts the model does not.
 */
import type { PutRecordsCommandInput, PutRecordsCommandOutput, PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import { effectiveHashKey } from './hash-key';
import type { ShardRange } from './shard-map';

/** Per-shard write limits. */
export interface ShardWriteLimits {
  /** Data + partition key bytes a second (default 1 MiB). */
  readonly bytesPerSecond: number;
  /** Kinesis records a second (default 1,000). */
  readonly recordsPerSecond: number;
}

export const DEFAULT_SHARD_WRITE_LIMITS: ShardWriteLimits = { bytesPerSecond: 1024 * 1024, recordsPerSecond: 1_000 };

export interface ThroughputModelOptions extends Partial<ShardWriteLimits> {
  /** Milliseconds, any origin (default `performance.now()`); inject a simulated clock to model time. */
  readonly now?: () => number;
}

/** The model's answer for one entry. */
export type EntryVerdict =
  | { readonly accepted: true }
  | { readonly accepted: false; readonly errorCode: 'ProvisionedThroughputExceededException'; readonly errorMessage: string };

interface Bucket {
  second: number;
  bytes: number;
  records: number;
}

/** Per-shard token buckets over an injectable clock. */
export class ShardThroughputModel {
  readonly limits: ShardWriteLimits;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: ThroughputModelOptions = {}) {
    this.limits = {
      bytesPerSecond: options.bytesPerSecond ?? DEFAULT_SHARD_WRITE_LIMITS.bytesPerSecond,
      recordsPerSecond: options.recordsPerSecond ?? DEFAULT_SHARD_WRITE_LIMITS.recordsPerSecond,
    };
    this.now = options.now ?? (() => performance.now());
  }

  /** Admits (and charges) or refuses one Kinesis record of `bytes` (data + partition key) on `shardId`. */
  admit(shardId: string, bytes: number): EntryVerdict {
    const second = Math.floor(this.now() / 1000);
    let bucket = this.buckets.get(shardId);
    if (!bucket) this.buckets.set(shardId, (bucket = { second, bytes: this.limits.bytesPerSecond, records: this.limits.recordsPerSecond }));
    else if (bucket.second !== second) {
      bucket.second = second;
      bucket.bytes = this.limits.bytesPerSecond;
      bucket.records = this.limits.recordsPerSecond;
    }
    if (bucket.records < 1 || bucket.bytes < bytes) {
      return { accepted: false, errorCode: 'ProvisionedThroughputExceededException', errorMessage: `Rate exceeded for shard ${shardId}.` };
    }
    bucket.records -= 1;
    bucket.bytes -= bytes;
    return { accepted: true };
  }
}

/** The open shard holding a hash key, by linear scan (a handful of shards in tests and benchmarks). */
function shardOf(shards: readonly ShardRange[], hashKey: bigint): ShardRange {
  const shard = shards.find((s) => hashKey >= s.startingHashKey && hashKey <= s.endingHashKey);
  if (!shard) throw new RangeError(`no shard holds hash key ${hashKey}`);
  return shard;
}

/**
 * Answers a `PutRecords` request as Kinesis would under the model: routes each entry to its shard
 * (explicit hash key, else MD5 of the partition key), admits or throttles it, and returns per-entry
 * results with `FailedRecordCount`. Sequence numbers are a per-shard counter.
 */
export function putRecordsAgainstModel(model: ShardThroughputModel, shards: readonly ShardRange[], input: PutRecordsCommandInput, sequence = new Map<string, number>()): PutRecordsCommandOutput {
  let failed = 0;
  const records: PutRecordsResultEntry[] = (input.Records ?? []).map((entry) => {
    const shard = shardOf(shards, effectiveHashKey(entry.PartitionKey ?? '', entry.ExplicitHashKey));
    const bytes = (entry.Data?.length ?? 0) + Buffer.byteLength(entry.PartitionKey ?? '', 'utf8');
    const verdict = model.admit(shard.shardId, bytes);
    if (!verdict.accepted) {
      failed++;
      return { ErrorCode: verdict.errorCode, ErrorMessage: verdict.errorMessage };
    }
    const next = (sequence.get(shard.shardId) ?? 0) + 1;
    sequence.set(shard.shardId, next);
    return { ShardId: shard.shardId, SequenceNumber: String(next) };
  });
  return { FailedRecordCount: failed, Records: records, $metadata: {} };
}

/** `count` shards splitting the hash key space evenly, named as Kinesis names them. */
export function evenShardRanges(count: number): ShardRange[] {
  const space = 1n << 128n;
  return Array.from({ length: count }, (_, i) => ({
    shardId: `shardId-${String(i).padStart(12, '0')}`,
    startingHashKey: (space * BigInt(i)) / BigInt(count),
    endingHashKey: (space * BigInt(i + 1)) / BigInt(count) - 1n,
  }));
}

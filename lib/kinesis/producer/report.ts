/** What a producer wrote, per shard, and every user record it could not write. */

/** Codes of user records refused by `put` before any request (the others are Kinesis's own). */
export const RejectionCode = {
  InvalidPartitionKey: 'InvalidPartitionKey',
  InvalidExplicitHashKey: 'InvalidExplicitHashKey',
  RecordTooLarge: 'RecordTooLarge',
} as const;
export type RejectionCode = (typeof RejectionCode)[keyof typeof RejectionCode];

/** A user record that was not written, with Kinesis's (or the producer's) last word on it. */
export interface ProducerFailure {
  readonly data: Buffer;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  /** A {@link RejectionCode}, a `PutRecords` entry code (`ProvisionedThroughputExceededException`, `InternalFailure`), or the name of a whole-request error. */
  readonly errorCode: string;
  readonly errorMessage: string;
  /** `PutRecords` attempts made (0 when rejected up front). */
  readonly attempts: number;
}

/** What landed on one shard, from the `ShardId` of each successful `PutRecords` entry. */
export interface ShardStats {
  readonly userRecords: number;
  readonly kinesisRecords: number;
  /** Data + partition key bytes of the Kinesis records (what counts against the shard's 1 MB/s). */
  readonly bytes: number;
}

export interface ProducerReport {
  /** User records given to `put` (written, failed, or still pending for a snapshot). */
  readonly userRecordsPut: number;
  readonly userRecordsWritten: number;
  /** User records rejected up front or still failing after the last attempt. */
  readonly userRecordsFailed: number;
  readonly kinesisRecordsWritten: number;
  /** User payload bytes written. */
  readonly userBytesWritten: number;
  /** Data + partition key bytes of the Kinesis records written (aggregation overhead included). */
  readonly kinesisBytesWritten: number;
  /** `PutRecords` calls made. */
  readonly requests: number;
  /** Kinesis records sent again after a failed attempt. */
  readonly retriedKinesisRecords: number;
  /** Entries answered `ProvisionedThroughputExceededException` (each attempt counts). */
  readonly throttledEntries: number;
  /** Up to `maxFailuresInReport` failures; `userRecordsFailed` counts them all. */
  readonly failures: readonly ProducerFailure[];
  readonly shards: Readonly<Record<string, ShardStats>>;
  /** Times the shard map was refreshed after a record landed on another shard than planned. */
  readonly shardMapRefreshes: number;
  /** Aggregated records that landed on another shard than planned (the stream was resharded). */
  readonly shardMismatches: number;
}

/** How unevenly the written bytes spread over the shards. */
export interface HotShardSummary {
  /** The shard with the most bytes; `undefined` when nothing was written. */
  readonly hottestShardId: string | undefined;
  /** The hottest shard's share of all bytes, 0–1. */
  readonly maxShare: number;
  /** 1 / shard count: every shard's share if the load were even. */
  readonly evenShare: number;
  /** `maxShare / evenShare`: 1 is perfectly even; the shard count means one shard took everything. */
  readonly ratio: number;
}

/**
 * The hot-shard summary of a report's per-shard bytes. `shardCount` is the stream's open shard
 * count (default: the shards that received data; pass the real count so idle shards count too).
 */
export function hotShardSummary(shards: Readonly<Record<string, ShardStats>>, shardCount = Object.keys(shards).length): HotShardSummary {
  const entries = Object.entries(shards);
  const total = entries.reduce((sum, [, s]) => sum + s.bytes, 0);
  const evenShare = shardCount > 0 ? 1 / shardCount : 0;
  if (total === 0 || entries.length === 0) return { hottestShardId: undefined, maxShare: 0, evenShare, ratio: 0 };
  let hottest = entries[0]!;
  for (const entry of entries) if (entry[1].bytes > hottest[1].bytes) hottest = entry;
  const maxShare = hottest[1].bytes / total;
  return { hottestShardId: hottest[0], maxShare, evenShare, ratio: evenShare > 0 ? maxShare / evenShare : 0 };
}

interface MutableShardStats {
  userRecords: number;
  kinesisRecords: number;
  bytes: number;
}

/** Accumulates a {@link ProducerReport}. */
export class ReportBuilder {
  userRecordsPut = 0;
  userRecordsWritten = 0;
  userRecordsFailed = 0;
  kinesisRecordsWritten = 0;
  userBytesWritten = 0;
  kinesisBytesWritten = 0;
  requests = 0;
  retriedKinesisRecords = 0;
  throttledEntries = 0;
  shardMapRefreshes = 0;
  shardMismatches = 0;
  private readonly failures: ProducerFailure[] = [];
  private readonly shards = new Map<string, MutableShardStats>();

  constructor(
    private readonly maxFailures: number,
    private readonly onFailure?: (failure: ProducerFailure) => void,
  ) {}

  written(shardId: string, userRecords: number, userBytes: number, kinesisBytes: number): void {
    let stats = this.shards.get(shardId);
    if (!stats) this.shards.set(shardId, (stats = { userRecords: 0, kinesisRecords: 0, bytes: 0 }));
    stats.userRecords += userRecords;
    stats.kinesisRecords += 1;
    stats.bytes += kinesisBytes;
    this.userRecordsWritten += userRecords;
    this.kinesisRecordsWritten += 1;
    this.userBytesWritten += userBytes;
    this.kinesisBytesWritten += kinesisBytes;
  }

  failed(failure: ProducerFailure): void {
    this.userRecordsFailed++;
    if (this.failures.length < this.maxFailures) this.failures.push(failure);
    this.onFailure?.(failure);
  }

  build(): ProducerReport {
    return {
      userRecordsPut: this.userRecordsPut,
      userRecordsWritten: this.userRecordsWritten,
      userRecordsFailed: this.userRecordsFailed,
      kinesisRecordsWritten: this.kinesisRecordsWritten,
      userBytesWritten: this.userBytesWritten,
      kinesisBytesWritten: this.kinesisBytesWritten,
      requests: this.requests,
      retriedKinesisRecords: this.retriedKinesisRecords,
      throttledEntries: this.throttledEntries,
      failures: [...this.failures],
      shards: Object.fromEntries([...this.shards].sort(([a], [b]) => a.localeCompare(b)).map(([id, s]) => [id, { ...s }])),
      shardMapRefreshes: this.shardMapRefreshes,
      shardMismatches: this.shardMismatches,
    };
  }
}

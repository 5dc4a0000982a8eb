/** The producer's two units: user records as `put` takes them, Kinesis records as `PutRecords` sends them. */

/** A user record accepted by `put`, waiting to be written. */
export interface BufferedUserRecord {
  /** Order of acceptance, to know when a `flush()` is done. */
  readonly id: number;
  readonly data: Buffer;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  /** UTF-8 bytes of the partition key. */
  readonly partitionKeyBytes: number;
}

/** One `PutRecords` entry: a plain user record or an aggregate of several. */
export interface OutgoingRecord {
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  readonly data: Buffer;
  /** Data + partition key bytes: what counts against request and shard limits. */
  readonly bytes: number;
  readonly userRecords: readonly BufferedUserRecord[];
  /** The shard the shard map placed it on (aggregates only). */
  readonly plannedShardId: string | undefined;
  /** `PutRecords` attempts so far. */
  attempts: number;
}

/** A user record as its own Kinesis record. */
export function plainRecord(user: BufferedUserRecord, plannedShardId?: string): OutgoingRecord {
  return {
    partitionKey: user.partitionKey,
    explicitHashKey: user.explicitHashKey,
    data: user.data,
    bytes: user.data.length + user.partitionKeyBytes,
    userRecords: [user],
    plannedShardId,
    attempts: 0,
  };
}

/**
 * The KPL aggregated record format: `F3 89 9A C2`, a protobuf (proto2) `AggregatedRecord`, then
 * the 16-byte MD5 of the protobuf bytes.
 *
 * ```proto
 * message AggregatedRecord {
 *   repeated string partition_key_table = 1;
 *   repeated string explicit_hash_key_table = 2;
 *   repeated Record records = 3;
 * }
 * message Record {
 *   required uint64 partition_key_index = 1;
 *   optional uint64 explicit_hash_key_index = 2;
 *   required bytes data = 3;
 *   repeated Tag tags = 4;
 * }
 * message Tag { required string key = 1; optional string value = 2; }
 * ```
 * @see https://github.com/awslabs/amazon-kinesis-producer/blob/master/aggregation-format.md
 */

/** The four bytes every KPL aggregated record starts with. */
export const KPL_MAGIC: Buffer = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);

/** Length of the MD5 digest that ends an aggregated record. */
export const KPL_DIGEST_BYTES = 16;

/** Bytes an aggregate adds around its protobuf message: magic and digest. */
export const KPL_OVERHEAD_BYTES = KPL_MAGIC.length + KPL_DIGEST_BYTES;

/** Protobuf field numbers of the format. */
export const AggregatedRecordField = { PartitionKeyTable: 1, ExplicitHashKeyTable: 2, Records: 3 } as const;
export const RecordField = { PartitionKeyIndex: 1, ExplicitHashKeyIndex: 2, Data: 3, Tags: 4 } as const;
export const TagField = { Key: 1, Value: 2 } as const;

/** One user record, as de-aggregated from a Kinesis record (or the Kinesis record itself when plain). */
export interface UserRecord {
  readonly partitionKey: string;
  /** The user record's own explicit hash key; `undefined` when it had none. */
  readonly explicitHashKey: string | undefined;
  /** The payload: a view into the Kinesis record's data, not a copy. */
  readonly data: Buffer;
  /** Index within the aggregate (0 for a plain record); with the outer sequence number it identifies the user record. */
  readonly subSequenceNumber: number;
  /** Whether it came out of a KPL aggregate. */
  readonly aggregated: boolean;
}

/** A user record to aggregate. */
export interface UserRecordInput {
  readonly partitionKey: string;
  readonly explicitHashKey?: string | undefined;
  readonly data: Uint8Array;
}

/** Why an aggregated record could not be de-aggregated. */
export type KplFormatErrorReason = 'checksum' | 'protobuf' | 'index';

/**
 * A record that carries the KPL magic but is not a valid aggregate: wrong MD5 (`checksum`),
 * malformed protobuf (`protobuf`), or a partition/explicit hash key index outside its table
 * (`index`).
 */
export class KplFormatError extends Error {
  override readonly name = 'KplFormatError';

  constructor(
    readonly reason: KplFormatErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

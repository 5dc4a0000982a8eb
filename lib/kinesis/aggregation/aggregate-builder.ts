/**
 * Builds KPL aggregated records incrementally, knowing the encoded size at every step, so a
 * producer can fill an aggregate up to a byte limit without encoding it first.
 */
import { createHash } from 'node:crypto';
import { fieldTag, varintSize, WireType, writeVarint } from './protobuf-wire';
import { AggregatedRecordField, KPL_DIGEST_BYTES, KPL_MAGIC, KPL_OVERHEAD_BYTES, RecordField, type UserRecordInput } from './kpl-format';

interface PendingRecord {
  readonly partitionKeyIndex: number;
  readonly explicitHashKeyIndex: number | undefined;
  readonly data: Uint8Array;
  /** Encoded length of the `Record` message (without its own tag and length). */
  readonly messageBytes: number;
}

/** What adding one user record adds to the protobuf: its bytes in total, and the parts `add` keeps. */
interface Growth {
  readonly total: number;
  readonly partitionKeyBytes: number;
  readonly explicitHashKeyBytes: number;
  readonly recordMessageBytes: number;
}

/** Encoded length of a string table entry: tag, length varint, UTF-8 bytes. */
const tableEntryBytes = (utf8Bytes: number): number => 1 + varintSize(utf8Bytes) + utf8Bytes;

/**
 * Accumulates user records into one aggregate. Partition keys and explicit hash keys go into
 * de-duplicated tables in order of first appearance, and records are written in the order added:
 * the bytes are identical to aws-kinesis-agg's (and the KPL's) for the same input.
 *
 * The builder keeps references to the `data` it is given: do not change them before `build()`.
 */
export class AggregateBuilder {
  private readonly partitionKeys = new Map<string, number>();
  private readonly partitionKeyBytes: number[] = [];
  private readonly explicitHashKeys = new Map<string, number>();
  private readonly explicitHashKeyBytes: number[] = [];
  private records: PendingRecord[] = [];
  private protobufBytes = 0;
  private checked: { readonly record: UserRecordInput; readonly growth: Growth } | undefined;

  /** Number of user records added. */
  get count(): number {
    return this.records.length;
  }

  /** Size of the aggregated record `build()` would return now: magic, protobuf and digest. */
  get size(): number {
    return KPL_OVERHEAD_BYTES + this.protobufBytes;
  }

  /** Size the aggregate would have with `record` added (without adding it). */
  sizeWith(record: UserRecordInput): number {
    const growth = this.growth(record);
    // The usual next call is add(record): keep the work for it.
    this.checked = { record, growth };
    return this.size + growth.total;
  }

  /** Adds a user record. */
  add(record: UserRecordInput): this {
    const growth = this.checked?.record === record ? this.checked.growth : this.growth(record);
    this.checked = undefined;
    let partitionKeyIndex = this.partitionKeys.get(record.partitionKey);
    if (partitionKeyIndex === undefined) {
      partitionKeyIndex = this.partitionKeyBytes.length;
      this.partitionKeys.set(record.partitionKey, partitionKeyIndex);
      this.partitionKeyBytes.push(growth.partitionKeyBytes);
    }
    let explicitHashKeyIndex: number | undefined;
    if (record.explicitHashKey !== undefined) {
      explicitHashKeyIndex = this.explicitHashKeys.get(record.explicitHashKey);
      if (explicitHashKeyIndex === undefined) {
        explicitHashKeyIndex = this.explicitHashKeyBytes.length;
        this.explicitHashKeys.set(record.explicitHashKey, explicitHashKeyIndex);
        this.explicitHashKeyBytes.push(growth.explicitHashKeyBytes);
      }
    }
    this.records.push({ partitionKeyIndex, explicitHashKeyIndex, data: record.data, messageBytes: growth.recordMessageBytes });
    this.protobufBytes += growth.total;
    return this;
  }

  /**
   * Encodes the aggregate (magic + protobuf + MD5) and leaves the builder as it is. Throws a
   * `RangeError` when empty: a record-less aggregate is 20 bytes that the KCL reads as a plain record.
   */
  build(): Buffer {
    if (this.records.length === 0) throw new RangeError('cannot build an aggregate of no user records');
    const out = Buffer.allocUnsafe(this.size);
    KPL_MAGIC.copy(out, 0);
    let offset = KPL_MAGIC.length;
    offset = this.writeTable(out, offset, AggregatedRecordField.PartitionKeyTable, this.partitionKeys, this.partitionKeyBytes);
    offset = this.writeTable(out, offset, AggregatedRecordField.ExplicitHashKeyTable, this.explicitHashKeys, this.explicitHashKeyBytes);
    for (const record of this.records) {
      out[offset++] = fieldTag(AggregatedRecordField.Records, WireType.LengthDelimited);
      offset = writeVarint(out, offset, record.messageBytes);
      out[offset++] = fieldTag(RecordField.PartitionKeyIndex, WireType.Varint);
      offset = writeVarint(out, offset, record.partitionKeyIndex);
      if (record.explicitHashKeyIndex !== undefined) {
        out[offset++] = fieldTag(RecordField.ExplicitHashKeyIndex, WireType.Varint);
        offset = writeVarint(out, offset, record.explicitHashKeyIndex);
      }
      out[offset++] = fieldTag(RecordField.Data, WireType.LengthDelimited);
      offset = writeVarint(out, offset, record.data.length);
      out.set(record.data, offset);
      offset += record.data.length;
    }
    createHash('md5').update(out.subarray(KPL_MAGIC.length, offset)).digest().copy(out, offset);
    if (offset + KPL_DIGEST_BYTES !== out.length) throw new Error(`aggregate size mismatch: wrote ${offset + KPL_DIGEST_BYTES}, planned ${out.length}`);
    return out;
  }

  /** Empties the builder for the next aggregate. */
  reset(): void {
    this.partitionKeys.clear();
    this.partitionKeyBytes.length = 0;
    this.explicitHashKeys.clear();
    this.explicitHashKeyBytes.length = 0;
    this.records = [];
    this.protobufBytes = 0;
    this.checked = undefined;
  }

  private growth(record: UserRecordInput): Growth {
    let total = 0;
    let partitionKeyIndex = this.partitionKeys.get(record.partitionKey);
    let partitionKeyBytes = 0;
    if (partitionKeyIndex === undefined) {
      partitionKeyIndex = this.partitionKeyBytes.length;
      partitionKeyBytes = Buffer.byteLength(record.partitionKey, 'utf8');
      total += tableEntryBytes(partitionKeyBytes);
    }
    let recordMessageBytes = 1 + varintSize(partitionKeyIndex) + 1 + varintSize(record.data.length) + record.data.length;
    let explicitHashKeyBytes = 0;
    if (record.explicitHashKey !== undefined) {
      let explicitHashKeyIndex = this.explicitHashKeys.get(record.explicitHashKey);
      if (explicitHashKeyIndex === undefined) {
        explicitHashKeyIndex = this.explicitHashKeyBytes.length;
        explicitHashKeyBytes = Buffer.byteLength(record.explicitHashKey, 'utf8');
        total += tableEntryBytes(explicitHashKeyBytes);
      }
      recordMessageBytes += 1 + varintSize(explicitHashKeyIndex);
    }
    total += 1 + varintSize(recordMessageBytes) + recordMessageBytes;
    return { total, partitionKeyBytes, explicitHashKeyBytes, recordMessageBytes };
  }

  private writeTable(out: Buffer, start: number, field: number, keys: ReadonlyMap<string, number>, utf8Bytes: readonly number[]): number {
    let offset = start;
    let index = 0;
    // Map iteration follows insertion order, which is the index order.
    for (const key of keys.keys()) {
      const bytes = utf8Bytes[index++]!;
      out[offset++] = fieldTag(field, WireType.LengthDelimited);
      offset = writeVarint(out, offset, bytes);
      offset += out.write(key, offset, bytes, 'utf8');
    }
    return offset;
  }
}

/**
 * Aggregates user records (at least one) into one KPL aggregated record (no size limit: callers
 * that need one use {@link AggregateBuilder}). An explicit hash key of `undefined` leaves the user record
 * without one; any string, even empty, is written to the table.
 */
export function aggregate(records: readonly UserRecordInput[]): Buffer {
  const builder = new AggregateBuilder();
  for (const record of records) builder.add(record);
  return builder.build();
}

/** Size of the aggregate of `records`, without encoding it. */
export function aggregatedSize(records: readonly UserRecordInput[]): number {
  const builder = new AggregateBuilder();
  for (const record of records) builder.add(record);
  return builder.size;
}

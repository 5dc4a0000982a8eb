/**
 * Reads KPL aggregated records back into user records, strictly: a record with the magic whose
 * digest, protobuf or key indexes are wrong throws {@link KplFormatError}.
 *
 * The KCL (2.x `AggregatorUtil.deaggregate`) instead passes a record with a bad checksum or an
 * unparsable protobuf through as one plain record (its bytes, magic included, become the
 * payload), and logs and drops the rest of an aggregate whose key index is out of range. We throw
 * so the consumer can route the whole Kinesis record, with its payload, to its failure destination.
 */
import { createHash } from 'node:crypto';
import { ProtoReader, ProtobufDecodeError, WireType, type FieldKey } from './protobuf-wire';
import {
  AggregatedRecordField,
  KPL_DIGEST_BYTES,
  KPL_MAGIC,
  KPL_OVERHEAD_BYTES,
  KplFormatError,
  RecordField,
  TagField,
  type UserRecord,
} from './kpl-format';

/**
 * Whether `data` is a KPL aggregate: starts with the magic and has at least one byte between it
 * and the 16-byte digest. Like the KCL, a record of magic + digest alone (an empty protobuf) is
 * not an aggregate and stays a plain record.
 */
export function isAggregated(data: Uint8Array): boolean {
  return data.length > KPL_OVERHEAD_BYTES && data[0] === KPL_MAGIC[0] && data[1] === KPL_MAGIC[1] && data[2] === KPL_MAGIC[2] && data[3] === KPL_MAGIC[3];
}

const asBuffer = (data: Uint8Array): Buffer => (Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));

function expectWireType(key: FieldKey, wireType: number, what: string): void {
  if (key.wireType !== wireType) throw new ProtobufDecodeError(`${what} has wire type ${key.wireType}, expected ${wireType}`);
}

interface DecodedRecord {
  readonly partitionKeyIndex: number;
  readonly explicitHashKeyIndex: number | undefined;
  readonly dataStart: number;
  readonly dataEnd: number;
}

/** Parses a `Tag` to check it is well formed; its contents are not used. */
function checkTag(bytes: Buffer, start: number, end: number): void {
  const reader = new ProtoReader(bytes, start, end);
  let hasKey = false;
  while (!reader.done) {
    const key = reader.readKey();
    if (key.field === TagField.Key || key.field === TagField.Value) {
      expectWireType(key, WireType.LengthDelimited, 'Tag string');
      reader.readLengthDelimited();
      if (key.field === TagField.Key) hasKey = true;
    } else reader.skip(key);
  }
  if (!hasKey) throw new ProtobufDecodeError('Tag without its required key');
}

function decodeRecord(bytes: Buffer, start: number, end: number): DecodedRecord {
  const reader = new ProtoReader(bytes, start, end);
  let partitionKeyIndex: number | undefined;
  let explicitHashKeyIndex: number | undefined;
  let data: { start: number; end: number } | undefined;
  while (!reader.done) {
    const key = reader.readKey();
    switch (key.field) {
      // A non-repeated field seen twice: the last value wins, as protobuf specifies.
      case RecordField.PartitionKeyIndex:
        expectWireType(key, WireType.Varint, 'partition_key_index');
        partitionKeyIndex = reader.readVarint();
        break;
      case RecordField.ExplicitHashKeyIndex:
        expectWireType(key, WireType.Varint, 'explicit_hash_key_index');
        explicitHashKeyIndex = reader.readVarint();
        break;
      case RecordField.Data:
        expectWireType(key, WireType.LengthDelimited, 'data');
        data = reader.readLengthDelimited();
        break;
      case RecordField.Tags: {
        expectWireType(key, WireType.LengthDelimited, 'tags');
        const tag = reader.readLengthDelimited();
        checkTag(bytes, tag.start, tag.end);
        break;
      }
      default:
        reader.skip(key);
    }
  }
  if (partitionKeyIndex === undefined) throw new ProtobufDecodeError('Record without its required partition_key_index');
  if (data === undefined) throw new ProtobufDecodeError('Record without its required data');
  return { partitionKeyIndex, explicitHashKeyIndex, dataStart: data.start, dataEnd: data.end };
}

function decodeAggregate(bytes: Buffer, start: number, end: number): UserRecord[] {
  const reader = new ProtoReader(bytes, start, end);
  const partitionKeys: string[] = [];
  const explicitHashKeys: string[] = [];
  // Fields may come in any order: resolve indexes once both tables are complete.
  const records: DecodedRecord[] = [];
  while (!reader.done) {
    const key = reader.readKey();
    switch (key.field) {
      case AggregatedRecordField.PartitionKeyTable:
      case AggregatedRecordField.ExplicitHashKeyTable: {
        expectWireType(key, WireType.LengthDelimited, 'key table entry');
        const entry = reader.readLengthDelimited();
        (key.field === AggregatedRecordField.PartitionKeyTable ? partitionKeys : explicitHashKeys).push(bytes.toString('utf8', entry.start, entry.end));
        break;
      }
      case AggregatedRecordField.Records: {
        expectWireType(key, WireType.LengthDelimited, 'records');
        const entry = reader.readLengthDelimited();
        records.push(decodeRecord(bytes, entry.start, entry.end));
        break;
      }
      default:
        reader.skip(key);
    }
  }
  return records.map((record, subSequenceNumber) => {
    const partitionKey = partitionKeys[record.partitionKeyIndex];
    if (partitionKey === undefined) {
      throw new KplFormatError('index', `user record ${subSequenceNumber}: partition key index ${record.partitionKeyIndex} outside a table of ${partitionKeys.length}`);
    }
    let explicitHashKey: string | undefined;
    if (record.explicitHashKeyIndex !== undefined) {
      explicitHashKey = explicitHashKeys[record.explicitHashKeyIndex];
      if (explicitHashKey === undefined) {
        throw new KplFormatError('index', `user record ${subSequenceNumber}: explicit hash key index ${record.explicitHashKeyIndex} outside a table of ${explicitHashKeys.length}`);
      }
    }
    return { partitionKey, explicitHashKey, data: bytes.subarray(record.dataStart, record.dataEnd), subSequenceNumber, aggregated: true };
  });
}

/**
 * The user records in a Kinesis record's data. A plain record gives one user record with the
 * outer keys (`aggregated: false`, sub-sequence number 0); an aggregate gives one per inner record,
 * in order, each with its own keys. Payloads are views into `data`, not copies.
 *
 * @throws {KplFormatError} when `data` has the magic but a wrong MD5, malformed protobuf, or a key index outside its table.
 */
export function deaggregate(data: Uint8Array, outer: { readonly partitionKey: string; readonly explicitHashKey?: string | undefined }): UserRecord[] {
  const bytes = asBuffer(data);
  if (!isAggregated(bytes)) {
    return [{ partitionKey: outer.partitionKey, explicitHashKey: outer.explicitHashKey, data: bytes, subSequenceNumber: 0, aggregated: false }];
  }
  const start = KPL_MAGIC.length;
  const end = bytes.length - KPL_DIGEST_BYTES;
  const digest = createHash('md5').update(bytes.subarray(start, end)).digest();
  if (!digest.equals(bytes.subarray(end))) throw new KplFormatError('checksum', 'the MD5 digest does not match the aggregated record');
  try {
    return decodeAggregate(bytes, start, end);
  } catch (error) {
    if (error instanceof ProtobufDecodeError) throw new KplFormatError('protobuf', `malformed AggregatedRecord: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * A Lambda Kinesis event → the user records it carries, in stream order. Lambda's event source
 * mapping does not de-aggregate, so every Kinesis record may hold one plain user record or a
 * KPL aggregate of many; both are accepted. An aggregate that cannot be decoded (bad MD5,
 * malformed protobuf) is kept whole, with the reason, for the failure destination.
 */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { deaggregate, KplFormatError } from '../aggregation';

/** Where a user record came from: enough to find it again in the stream. */
export interface RecordOrigin {
  readonly eventSourceArn: string;
  readonly shardId: string;
  /** The Kinesis record's sequence number (shared by the user records of an aggregate): the `itemIdentifier` Lambda expects. */
  readonly sequenceNumber: string;
  /** The user record's index inside its aggregate (0 for a plain record), as the KCL numbers it. */
  readonly subSequenceNumber: number;
  readonly partitionKey: string;
  /** When Kinesis accepted the record, in ms since the epoch. */
  readonly arrivalMs: number;
}

export interface UnpackedUserRecord {
  readonly kind: 'user-record';
  readonly origin: RecordOrigin;
  readonly data: Buffer;
}

/** A Kinesis record whose aggregate is corrupt: the whole record, undivided. */
export interface UndecodableRecord {
  readonly kind: 'undecodable';
  readonly origin: RecordOrigin;
  readonly data: Buffer;
  readonly reason: string;
}

export type UnpackedRecord = UnpackedUserRecord | UndecodableRecord;

/** `shardId-000000000001:4959…` → `shardId-000000000001`. */
export function shardIdOf(record: KinesisStreamRecord): string {
  const colon = record.eventID.lastIndexOf(':');
  return colon > 0 ? record.eventID.slice(0, colon) : record.eventID;
}

/** The user records of every Kinesis record of the event, in order. */
export function unpackBatch(event: KinesisStreamEvent): UnpackedRecord[] {
  const unpacked: UnpackedRecord[] = [];
  for (const record of event.Records) {
    const { kinesis } = record;
    const data = Buffer.from(kinesis.data, 'base64');
    const origin = {
      eventSourceArn: record.eventSourceARN,
      shardId: shardIdOf(record),
      sequenceNumber: kinesis.sequenceNumber,
      partitionKey: kinesis.partitionKey,
      arrivalMs: Math.round(kinesis.approximateArrivalTimestamp * 1000),
    };
    try {
      for (const user of deaggregate(data, { partitionKey: kinesis.partitionKey })) {
        unpacked.push({ kind: 'user-record', origin: { ...origin, subSequenceNumber: user.subSequenceNumber, partitionKey: user.partitionKey }, data: user.data });
      }
    } catch (error) {
      if (!(error instanceof KplFormatError)) throw error;
      unpacked.push({ kind: 'undecodable', origin: { ...origin, subSequenceNumber: 0 }, data, reason: `KPL aggregate: ${error.message}` });
    }
  }
  return unpacked;
}

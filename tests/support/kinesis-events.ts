/** Lambda Kinesis events built the way the event source mapping builds them. */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

export const TEST_STREAM_ARN = 'arn:aws:kinesis:eu-west-1:123456789012:stream/shardline-test-telemetry';
export const TEST_SHARD_ID = 'shardId-000000000003';

/** A sequence number the way Kinesis writes them: 56 digits, increasing with `n`. */
export const sequenceNumberOf = (n: number): string => `4965${String(n).padStart(52, '0')}`;

export interface TestRecordInput {
  readonly data: Uint8Array | string;
  readonly partitionKey?: string;
  readonly sequence?: number;
  readonly arrivalSeconds?: number;
}

/** One Kinesis record of a Lambda event; `data` strings are UTF-8. */
export function kinesisRecord(input: TestRecordInput, index = 0): KinesisStreamRecord {
  const sequenceNumber = sequenceNumberOf(input.sequence ?? index + 1);
  const data = typeof input.data === 'string' ? Buffer.from(input.data, 'utf8') : Buffer.from(input.data);
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: input.partitionKey ?? 'sensor-0001',
      sequenceNumber,
      data: data.toString('base64'),
      approximateArrivalTimestamp: input.arrivalSeconds ?? 1_795_000_000.123,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${TEST_SHARD_ID}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/shardline-test-consumer',
    awsRegion: 'eu-west-1',
    eventSourceARN: TEST_STREAM_ARN,
  };
}

export function kinesisEvent(records: readonly TestRecordInput[]): KinesisStreamEvent {
  return { Records: records.map((record, i) => kinesisRecord(record, i)) };
}

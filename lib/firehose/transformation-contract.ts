/**
 * The Kinesis Data Firehose data-transformation contract: the event Firehose sends to the
 * Lambda and the response it expects back.
 * @see https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html
 */

/** Present on each record when the delivery stream's source is a Kinesis data stream. */
export interface KinesisRecordMetadata {
  readonly shardId: string;
  readonly partitionKey: string;
  readonly approximateArrivalTimestamp: number;
  readonly sequenceNumber: string;
  /** A string in AWS's own test events, a number in some typings: both are accepted. */
  readonly subsequenceNumber: string | number;
}

export interface FirehoseTransformationEventRecord {
  readonly recordId: string;
  readonly approximateArrivalTimestamp: number;
  /** Base64 of the record's bytes. */
  readonly data: string;
  readonly kinesisRecordMetadata?: KinesisRecordMetadata;
}

export interface FirehoseTransformationEvent {
  readonly invocationId: string;
  readonly deliveryStreamArn: string;
  readonly region: string;
  readonly sourceKinesisStreamArn?: string;
  readonly records: readonly FirehoseTransformationEventRecord[];
}

export type FirehoseTransformationResultStatus = 'Ok' | 'Dropped' | 'ProcessingFailed';

export interface FirehoseTransformationResultRecord {
  readonly recordId: string;
  readonly result: FirehoseTransformationResultStatus;
  /** Base64 of the transformed bytes (`Ok`), the original bytes (`ProcessingFailed`), or empty (`Dropped`). */
  readonly data: string;
  readonly metadata?: { readonly partitionKeys: Readonly<Record<string, string>> };
}

export interface FirehoseTransformationResult {
  readonly records: FirehoseTransformationResultRecord[];
}

/** Lambda's limit on a synchronous response: 6 MB. */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;
/**
 * What a transform answers at most: AWS's blueprints stop at 6,000,000 bytes, leaving room
 * under {@link LAMBDA_RESPONSE_LIMIT_BYTES} for the runtime's own framing.
 */
export const DEFAULT_RESPONSE_BUDGET_BYTES = 6_000_000;

/** The delivery stream's name from its ARN (`arn:aws:firehose:region:account:deliverystream/NAME`). */
export function deliveryStreamName(deliveryStreamArn: string): string {
  const name = deliveryStreamArn.split(':deliverystream/')[1];
  if (!name) throw new TypeError(`not a Firehose delivery stream ARN: ${deliveryStreamArn}`);
  return name;
}

/** The Kinesis stream's name from its ARN (`arn:aws:kinesis:region:account:stream/NAME`). */
export function kinesisStreamName(streamArn: string): string {
  const name = streamArn.split(':stream/')[1];
  if (!name) throw new TypeError(`not a Kinesis stream ARN: ${streamArn}`);
  return name;
}

/**
 * SQS's size and count limits for sending, and a queue's own size limit.
 *
 * Since August 2025 a message may have up to 1 MiB (body + attributes), and so may a whole
 * `SendMessageBatch` request (the sum of its messages), in at most 10 entries. A queue's
 * `MaximumMessageSize` (1,024 to 1,048,576; 1 MiB by default for new queues) may be lower.
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
 * @see https://aws.amazon.com/about-aws/whats-new/2025/08/amazon-sqs-max-payload-size-1mib/
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Largest message SQS accepts, body + attributes. */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;
/** Largest `SendMessageBatch` request, summed over its messages. */
export const SQS_MAX_BATCH_BYTES = 1_048_576;
/** Most entries in a `SendMessageBatch` request. */
export const SQS_MAX_BATCH_ENTRIES = 10;

/** What a sender needs to know about its queue. */
export interface QueueSendLimits {
  /** The queue's `MaximumMessageSize`. */
  readonly maxMessageBytes: number;
  readonly fifo: boolean;
  readonly contentBasedDeduplication: boolean;
}

/** Reads the queue's `MaximumMessageSize`, `FifoQueue` and `ContentBasedDeduplication`. */
export async function readQueueSendLimits(sqs: SQSClient, queueUrl: string): Promise<QueueSendLimits> {
  const { Attributes: attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['MaximumMessageSize', 'FifoQueue', 'ContentBasedDeduplication'] }),
  );
  const max = Number(attributes.MaximumMessageSize);
  return {
    maxMessageBytes: Number.isInteger(max) && max > 0 ? Math.min(max, SQS_MAX_MESSAGE_BYTES) : SQS_MAX_MESSAGE_BYTES,
    fifo: attributes.FifoQueue === 'true',
    contentBasedDeduplication: attributes.ContentBasedDeduplication === 'true',
  };
}

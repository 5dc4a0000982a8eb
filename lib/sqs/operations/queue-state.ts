/** A queue's identity, settings and approximate counts, from one `GetQueueAttributes` call. */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { QueueNotFoundError } from './errors';
import { queueNameOf } from './queue-ref';

/** A queue's `RedrivePolicy`, parsed. */
export interface RedrivePolicy {
  readonly deadLetterTargetArn: string;
  readonly maxReceiveCount: number;
}

/** Approximate, as SQS says: counts lag by up to a minute and are sampled on large queues. */
export interface ApproximateCounts {
  /** `ApproximateNumberOfMessages`: available for retrieval. */
  readonly visible: number;
  /** `ApproximateNumberOfMessagesNotVisible`: received, not yet deleted nor back. */
  readonly inFlight: number;
  /** `ApproximateNumberOfMessagesDelayed`. */
  readonly delayed: number;
}

export interface QueueState {
  readonly url: string;
  readonly name: string;
  readonly arn: string;
  readonly fifo: boolean;
  readonly counts: ApproximateCounts;
  readonly redrivePolicy?: RedrivePolicy;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  readonly maxMessageBytes: number;
  readonly contentBasedDeduplication: boolean;
}

const count = (value: string | undefined): number => {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : 0;
};

/** Parses a `RedrivePolicy` attribute (a JSON string; `maxReceiveCount` may be a string or a number). */
export function parseRedrivePolicy(text: string | undefined): RedrivePolicy | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    const parsed = JSON.parse(text) as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    if (typeof parsed.deadLetterTargetArn !== 'string') return undefined;
    return { deadLetterTargetArn: parsed.deadLetterTargetArn, maxReceiveCount: Number(parsed.maxReceiveCount) };
  } catch {
    return undefined;
  }
}

/** Reads every attribute of the queue. @throws {QueueNotFoundError} */
export async function readQueueState(sqs: SQSClient, url: string): Promise<QueueState> {
  let attributes: Record<string, string>;
  try {
    ({ Attributes: attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] })));
  } catch (error) {
    if (error instanceof Error && /QueueDoesNotExist|NonExistentQueue/.test(error.name)) throw new QueueNotFoundError(url, { cause: error });
    throw error;
  }
  const redrivePolicy = parseRedrivePolicy(attributes.RedrivePolicy);
  return {
    url,
    name: queueNameOf(url),
    arn: attributes.QueueArn ?? '',
    fifo: attributes.FifoQueue === 'true',
    counts: {
      visible: count(attributes.ApproximateNumberOfMessages),
      inFlight: count(attributes.ApproximateNumberOfMessagesNotVisible),
      delayed: count(attributes.ApproximateNumberOfMessagesDelayed),
    },
    ...(redrivePolicy ? { redrivePolicy } : {}),
    visibilityTimeoutSeconds: count(attributes.VisibilityTimeout),
    retentionSeconds: count(attributes.MessageRetentionPeriod),
    maxMessageBytes: count(attributes.MaximumMessageSize),
    contentBasedDeduplication: attributes.ContentBasedDeduplication === 'true',
  };
}

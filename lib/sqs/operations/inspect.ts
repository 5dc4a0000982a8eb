/** A queue at a glance: counts, settings, its dead-letter queue with the same figures, and (on request) a sample. */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { oldestSampledAgeSeconds, peekMessages, type PeekedMessage } from './peek';
import { resolveQueueUrl } from './queue-ref';
import { readQueueState, type QueueState } from './queue-state';
import { findSourceQueues, type SourceQueues } from './source-queues';

/** One queue's figures. */
export interface QueueFigures {
  readonly queue: QueueState;
  /** Present when a peek was asked for. */
  readonly sample?: readonly PeekedMessage[];
  /**
   * Age of the oldest *sampled* message, from its `SentTimestamp`: a lower bound. The true
   * figure, `ApproximateAgeOfOldestMessage`, is a CloudWatch metric, not a queue attribute.
   */
  readonly oldestSampledAgeSeconds?: number;
}

export interface QueueInspection extends QueueFigures {
  /** The queue its redrive policy names, with the same figures; or why it could not be read. */
  readonly deadLetterQueue?: (QueueFigures & { readonly maxReceiveCount: number }) | { readonly arn: string; readonly error: string };
  /** Queues that dead-letter into this one (when any do). */
  readonly sourceQueues?: SourceQueues;
}

export interface InspectOptions {
  /** Messages to peek from the queue and from its DLQ (default 0: none — peeking adds to each message's receive count). */
  readonly peek?: number;
  /** Clock, in ms (default `Date.now`). */
  readonly now?: () => number;
}

async function figures(sqs: SQSClient, url: string, peek: number, now: () => number): Promise<QueueFigures> {
  const queue = await readQueueState(sqs, url);
  if (peek <= 0) return { queue };
  const sample = await peekMessages(sqs, url, peek);
  const age = oldestSampledAgeSeconds(sample, now());
  return { queue, sample, ...(age === undefined ? {} : { oldestSampledAgeSeconds: age }) };
}

/** Inspects a queue given by name, URL or ARN. @throws {QueueNotFoundError} */
export async function inspectQueue(sqs: SQSClient, queue: string, options: InspectOptions = {}): Promise<QueueInspection> {
  const now = options.now ?? Date.now;
  const peek = options.peek ?? 0;
  const main = await figures(sqs, await resolveQueueUrl(sqs, queue), peek, now);
  const policy = main.queue.redrivePolicy;
  let deadLetterQueue: QueueInspection['deadLetterQueue'];
  if (policy !== undefined) {
    try {
      deadLetterQueue = { ...(await figures(sqs, await resolveQueueUrl(sqs, policy.deadLetterTargetArn), peek, now)), maxReceiveCount: policy.maxReceiveCount };
    } catch (error) {
      deadLetterQueue = { arn: policy.deadLetterTargetArn, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  }
  const sources = await findSourceQueues(sqs, { url: main.queue.url, arn: main.queue.arn });
  return { ...main, ...(deadLetterQueue ? { deadLetterQueue } : {}), ...(sources.urls.length > 0 ? { sourceQueues: sources } : {}) };
}

/** Dead-letter queue → source queue, as a dry run or for real. */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { AmbiguousSourceQueueError, isUnsupportedOperation, NoSourceQueueError, RedriveQueueTypeMismatchError } from './errors';
import { runMessageMoveTask } from './message-move-task';
import { peekMessages } from './peek';
import { resolveQueueUrl } from './queue-ref';
import { readQueueState, type QueueState } from './queue-state';
import { redriveByResend } from './redrive-by-resend';
import type { RedriveOptions, RedriveReport } from './redrive-types';
import { findSourceQueues } from './source-queues';

/** Where a DLQ's messages go back to: the given queue, else the single queue that dead-letters into it. */
export async function resolveRedriveDestination(
  sqs: SQSClient,
  dlq: QueueState,
  destination: string | undefined,
): Promise<{ state: QueueState; via: RedriveReport['destination']['via'] }> {
  if (destination !== undefined) return { state: await readQueueState(sqs, await resolveQueueUrl(sqs, destination)), via: 'option' };
  const sources = await findSourceQueues(sqs, { url: dlq.url, arn: dlq.arn });
  if (sources.urls.length === 0) throw new NoSourceQueueError(dlq.url);
  if (sources.urls.length > 1) throw new AmbiguousSourceQueueError(dlq.url, sources.urls);
  return { state: await readQueueState(sqs, sources.urls[0]!), via: sources.via };
}

/**
 * Moves messages from a dead-letter queue back to its source queue (or `destination`).
 * A dry run reads counts (and peeks on request) and moves nothing.
 * @throws {QueueNotFoundError} {NoSourceQueueError} {AmbiguousSourceQueueError} {RedriveQueueTypeMismatchError}
 */
export async function redrive(sqs: SQSClient, options: RedriveOptions): Promise<RedriveReport> {
  if (options.maxMessages !== undefined && (!Number.isInteger(options.maxMessages) || options.maxMessages < 1)) throw new RangeError('maxMessages must be a positive integer');
  const dlq = await readQueueState(sqs, await resolveQueueUrl(sqs, options.deadLetterQueue));
  const destination = await resolveRedriveDestination(sqs, dlq, options.destination);
  if (destination.state.fifo !== dlq.fifo) throw new RedriveQueueTypeMismatchError(dlq.url, destination.state.url);
  const base = {
    deadLetterQueue: dlq,
    destination: { url: destination.state.url, arn: destination.state.arn, via: destination.via },
  };

  if (options.dryRun) {
    const peek = options.peek ?? 0;
    const sample = peek > 0 ? await peekMessages(sqs, dlq.url, peek) : undefined;
    return {
      ...base,
      method: 'dry-run',
      wouldMove: Math.min(dlq.counts.visible, options.maxMessages ?? Number.POSITIVE_INFINITY),
      ...(sample ? { sample } : {}),
      moved: 0,
      failed: [],
      duplicated: 0,
      requests: { receive: sample ? 1 : 0, send: 0, delete: 0 },
    };
  }

  const method = options.method ?? 'auto';
  if (method === 'message-move-task' && options.maxMessages !== undefined) throw new RangeError('a message move task moves every message: maxMessages needs receive-send-delete');
  if (method !== 'receive-send-delete' && options.maxMessages === undefined) {
    try {
      const task = await runMessageMoveTask(sqs, dlq, destination.state, options);
      return {
        ...base,
        method: 'message-move-task',
        moved: task.moved,
        failed: task.status === 'COMPLETED' ? [] : [{ messageId: '', stage: 'task', code: task.status, reason: task.failureReason ?? `the move task ended ${task.status}` }],
        duplicated: 0,
        requests: { receive: 0, send: 0, delete: 0 },
        task: { status: task.status, ...(task.failureReason === undefined ? {} : { failureReason: task.failureReason }) },
      };
    } catch (error) {
      if (method === 'message-move-task' || !isUnsupportedOperation(error)) throw error;
    }
  }
  const outcome = await redriveByResend(sqs, dlq, destination.state, options);
  return { ...base, method: 'receive-send-delete', ...outcome };
}

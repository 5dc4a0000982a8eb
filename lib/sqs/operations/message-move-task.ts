/** Redrive by SQS itself: `StartMessageMoveTask`, polled with `ListMessageMoveTasks` until it ends. */
import { ListMessageMoveTasksCommand, StartMessageMoveTaskCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sleep as realSleep } from '../../aws/backoff';
import type { QueueState } from './queue-state';
import type { RedriveOptions } from './redrive-types';

export interface MoveTaskOutcome {
  readonly moved: number;
  readonly status: string;
  readonly failureReason?: string;
}

const FINISHED = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/** Starts the task and waits for it. Throws what `StartMessageMoveTask` throws (callers fall back when it is unsupported). */
export async function runMessageMoveTask(sqs: SQSClient, dlq: QueueState, destination: QueueState, options: RedriveOptions): Promise<MoveTaskOutcome> {
  const { TaskHandle: handle } = await sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: dlq.arn,
      DestinationArn: destination.arn,
      ...(options.maxMessagesPerSecond === undefined ? {} : { MaxNumberOfMessagesPerSecond: options.maxMessagesPerSecond }),
    }),
  );
  const wait = options.sleep ?? realSleep;
  for (;;) {
    await wait(options.pollIntervalMs ?? 2000);
    const { Results: results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 1 }));
    // The handle is only returned while the task runs; the most recent task is listed first.
    const task = results.find((t) => t.TaskHandle !== undefined && t.TaskHandle === handle) ?? results[0];
    if (task === undefined) continue;
    const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
    options.onProgress?.({ moved, failed: 0, total: task.ApproximateNumberOfMessagesToMove ?? dlq.counts.visible });
    const status = task.Status ?? 'UNKNOWN';
    if (FINISHED.has(status)) return { moved, status, ...(task.FailureReason === undefined ? {} : { failureReason: task.FailureReason }) };
  }
}

/** Options and report of a redrive (dead-letter queue → source queue). */
import type { BackoffOptions } from '../../aws/backoff';
import type { PeekedMessage } from './peek';
import type { QueueState } from './queue-state';

/**
 * `message-move-task`: SQS moves the messages itself (`StartMessageMoveTask`), all of them, at
 * its own pace. `receive-send-delete`: this process receives from the DLQ, sends to the
 * destination (same body, attributes, group id), then deletes from the DLQ — needed for a
 * `maxMessages` bound, and where the endpoint has no move tasks. `auto`: the move task unless a
 * bound is given or the endpoint lacks it.
 */
export type RedriveMethod = 'auto' | 'message-move-task' | 'receive-send-delete';

export interface RedriveProgress {
  readonly moved: number;
  readonly failed: number;
  /** Expected total (the DLQ's approximate count, or the bound); `undefined` when unknown. */
  readonly total: number | undefined;
}

export interface RedriveOptions {
  /** The dead-letter queue: name, URL or ARN. */
  readonly deadLetterQueue: string;
  /** Where to redrive: name, URL or ARN. Default: the one queue whose redrive policy names the DLQ. */
  readonly destination?: string;
  /** Count (and, with `peek`, sample) what would move; change nothing. */
  readonly dryRun?: boolean;
  /** Move at most this many messages. */
  readonly maxMessages?: number;
  readonly method?: RedriveMethod;
  /** Dry run: messages to peek (default 0; peeking adds to their receive counts). */
  readonly peek?: number;
  /** receive-send-delete: how long received DLQ messages stay invisible while being moved (default 60 s). */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * receive-send-delete: receives short-poll; when one comes back empty while the DLQ still reports
   * visible messages, one long poll of this many seconds (default 2) decides. The move ends at the first empty one.
   */
  readonly waitTimeSeconds?: number;
  /**
   * receive-send-delete into a FIFO queue. `'per-redrive'` (default): a deduplication id made of
   * this redrive's id and the message id, so a message received twice in one redrive is sent once,
   * and a message can never be swallowed as a duplicate of its own original send (SQS would
   * accept and silently drop a resend carrying the original id within the 5-minute window).
   * `'original'`: the message's own `MessageDeduplicationId` (safe once 5 minutes have passed).
   */
  readonly fifoDeduplication?: 'per-redrive' | 'original';
  /** message-move-task: `MaxNumberOfMessagesPerSecond` (SQS's default applies without it). */
  readonly maxMessagesPerSecond?: number;
  /** message-move-task: status polling interval (default 2,000 ms). */
  readonly pollIntervalMs?: number;
  /** receive-send-delete: attempts and backoff of each send. */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
  /** Waits (polling, backoff); injected in tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onProgress?: (progress: RedriveProgress) => void;
}

/** A message not moved (still in the DLQ), or moved but not deleted (then in both queues). */
export interface RedriveFailure {
  readonly messageId: string;
  readonly stage: 'send' | 'delete' | 'task';
  readonly code: string;
  readonly reason: string;
}

export interface RedriveReport {
  /** The DLQ as it was before the redrive. */
  readonly deadLetterQueue: QueueState;
  readonly destination: { readonly url: string; readonly arn: string; readonly via: 'option' | 'ListDeadLetterSourceQueues' | 'redrive-policy-scan' };
  readonly method: Exclude<RedriveMethod, 'auto'> | 'dry-run';
  /** Dry run: visible messages now, capped by `maxMessages`. */
  readonly wouldMove?: number;
  /** Dry run with `peek`. */
  readonly sample?: readonly PeekedMessage[];
  /** Messages now in the destination. */
  readonly moved: number;
  readonly failed: readonly RedriveFailure[];
  /** Moved, but their deletion from the DLQ failed: in both queues (consumers must be idempotent anyway). */
  readonly duplicated: number;
  readonly requests: { readonly receive: number; readonly send: number; readonly delete: number };
  /** message-move-task: the task's last status. */
  readonly task?: { readonly status: string; readonly failureReason?: string };
}

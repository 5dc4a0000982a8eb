/**
 * `TransactWriteItems` with bounded retries, and DynamoDB's cancellation reasons read per action.
 *
 * A transaction is cancelled as a whole; `CancellationReasons` then gives one reason per action, in
 * request order, with `Code` `None` for the actions that were not at fault. Codes that concern an
 * action's content (`ConditionalCheckFailed`, `ValidationError`, `ItemCollectionSizeLimitExceeded`)
 * go back to the caller, who knows what a failed condition means; codes that only say "not now"
 * (`TransactionConflict` — another transaction holds one of the items —, `ThrottlingError`,
 * `ProvisionedThroughputExceeded`) are retried here with full-jitter backoff, as are throttling
 * and 5xx errors of the request itself.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
 */
import type { AttributeValue, DynamoDBClient, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { fullJitterDelayMs } from '../../aws/backoff';
import { errorMessage, errorName, isRetriable } from '../dynamodb/errors';
import type { RetryPolicy } from '../dynamodb/retry';

/** `TransactWriteItems` takes at most 100 actions. */
export const MAX_TRANSACTION_ACTIONS = 100;

/** The reason one action of a cancelled transaction gives. */
export interface ActionCancellation {
  /** `None`, `ConditionalCheckFailed`, `ValidationError`, `TransactionConflict`, … */
  readonly code: string;
  readonly message?: string;
  /** The item as it was, when the action asked for `ReturnValuesOnConditionCheckFailure: ALL_OLD` and its condition failed. */
  readonly item?: Record<string, AttributeValue>;
}

export type TransactWriteOutcome =
  /** Every action applied. */
  | { readonly kind: 'written' }
  /** Cancelled because of some actions' content: one reason per action, in request order. */
  | { readonly kind: 'cancelled'; readonly reasons: readonly ActionCancellation[] }
  /**
   * Not written for a reason that is not about the actions' content: still throttled or
   * conflicting after the retries (`retriable`), a `ValidationException` of the request, or
   * another error (a missing table, no permission).
   */
  | { readonly kind: 'failed'; readonly retriable: boolean; readonly code: string; readonly message: string };

/** Cancellation codes that another attempt may clear. */
const RETRIABLE_CANCELLATIONS: ReadonlySet<string> = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);

interface CancelledErrorShape {
  readonly CancellationReasons?: readonly { readonly Code?: string; readonly Message?: string; readonly Item?: Record<string, AttributeValue> }[];
}

/**
 * The reasons of a `TransactionCanceledException`: from `CancellationReasons`, else from the
 * message, which lists the codes in brackets (`… specific reasons [ConditionalCheckFailed, None]`).
 */
export function cancellationReasons(error: unknown, actions: number): ActionCancellation[] {
  const listed = (error as CancelledErrorShape).CancellationReasons;
  if (listed !== undefined && listed.length > 0) {
    return listed.map((r) => ({
      code: r.Code ?? 'None',
      ...(r.Message === undefined ? {} : { message: r.Message }),
      ...(r.Item === undefined ? {} : { item: r.Item }),
    }));
  }
  const bracket = /\[([^\]]*)\]\s*$/.exec(errorMessage(error));
  const codes = bracket?.[1]?.split(',').map((c) => c.trim()).filter((c) => c !== '') ?? [];
  return codes.length === actions ? codes.map((code) => ({ code })) : Array.from({ length: actions }, () => ({ code: 'Unknown' }));
}

/**
 * Sends the transaction until it is written, cancelled for the actions' content, or out of
 * attempts. `onRetry` is told of each retried error (for throttling counts).
 */
export async function transactWrite(client: DynamoDBClient, actions: readonly TransactWriteItem[], retry: RetryPolicy, onRetry: (code: string) => void = () => undefined): Promise<TransactWriteOutcome> {
  const command = new TransactWriteItemsCommand({ TransactItems: [...actions] });
  for (let attempt = 1; ; attempt++) {
    let code: string;
    let message: string;
    try {
      await client.send(command);
      return { kind: 'written' };
    } catch (error) {
      code = errorName(error);
      message = errorMessage(error);
      if (code === 'TransactionCanceledException') {
        const reasons = cancellationReasons(error, actions.length);
        const faults = reasons.filter((r) => r.code !== 'None');
        if (faults.length === 0 || faults.some((r) => !RETRIABLE_CANCELLATIONS.has(r.code))) return { kind: 'cancelled', reasons };
        code = faults[0]!.code;
      } else if (!isRetriable(error)) {
        return { kind: 'failed', retriable: false, code, message };
      }
    }
    if (attempt >= retry.maxAttempts) return { kind: 'failed', retriable: true, code, message };
    onRetry(code);
    await retry.sleep(fullJitterDelayMs(attempt - 1, retry.backoff));
  }
}

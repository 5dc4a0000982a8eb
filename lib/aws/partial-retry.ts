/**
 * Resends only the entries a batch API reports as failed (Firehose `PutRecordBatch`, Kinesis
 * `PutRecords`, SQS `SendMessageBatch`, DynamoDB `UnprocessedItems` all work this way), with
 * full-jitter backoff between attempts and a bounded number of attempts.
 */
import type { BackoffOptions } from './backoff';
import { DEFAULT_BACKOFF, fullJitterDelayMs, sleep } from './backoff';

/** An entry still failing after the last attempt, with the service's last word on it. */
export interface FailedEntry<T> {
  readonly entry: T;
  readonly errorCode: string;
  readonly errorMessage?: string;
}

export interface PartialRetryOptions {
  readonly maxAttempts: number;
  readonly backoff?: BackoffOptions;
  /** Injected in tests to avoid real waits. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface PartialRetryReport<T> {
  readonly attempts: number;
  readonly failed: readonly FailedEntry<T>[];
}

/**
 * Calls `send` with the entries, then with those it reports failed, until none fail or
 * `maxAttempts` is reached. A `send` that throws counts as every entry failing (the SDK has
 * already retried throttling and 5xx by then), with the error's name as the code.
 */
export async function sendWithPartialRetry<T>(
  entries: readonly T[],
  send: (batch: readonly T[]) => Promise<readonly FailedEntry<T>[]>,
  options: PartialRetryOptions,
): Promise<PartialRetryReport<T>> {
  const wait = options.sleep ?? sleep;
  let pending: readonly T[] = entries;
  let failed: readonly FailedEntry<T>[] = [];
  let attempts = 0;
  while (pending.length > 0 && attempts < options.maxAttempts) {
    if (attempts > 0) await wait(fullJitterDelayMs(attempts - 1, options.backoff ?? DEFAULT_BACKOFF));
    attempts++;
    try {
      failed = await send(pending);
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      failed = pending.map((entry) => ({ entry, errorCode: name, errorMessage: message }));
    }
    pending = failed.map((f) => f.entry);
  }
  return { attempts, failed };
}

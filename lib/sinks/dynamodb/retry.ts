/** Bounded retries of one DynamoDB request on throttling and 5xx, with full-jitter backoff. */
import type { BackoffOptions } from '../../aws/backoff';
import { fullJitterDelayMs } from '../../aws/backoff';
import { isRetriable } from './errors';

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * Calls `request` until it resolves, throws an error that is not worth retrying, or
 * `maxAttempts` is reached; then throws the last error. `onRetry` is told of each retried error.
 */
export async function sendWithRetry<T>(request: () => Promise<T>, policy: RetryPolicy, onRetry: (error: unknown) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (attempt >= policy.maxAttempts || !isRetriable(error)) throw error;
      onRetry(error);
      await policy.sleep(fullJitterDelayMs(attempt - 1, policy.backoff));
    }
  }
}

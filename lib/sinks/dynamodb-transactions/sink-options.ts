/** Options shared by the transactional DynamoDB sinks (votes, ledger), checked once at construction. */
import type { BackoffOptions } from '../../aws/backoff';
import { DEFAULT_BACKOFF, sleep as realSleep } from '../../aws/backoff';
import { InvalidSinkOptionsError } from '../dynamodb/errors';
import type { RetryPolicy } from '../dynamodb/retry';

export interface TransactionalSinkOptions {
  /**
   * Attempts per request, the first included, after the SDK's own retries: of transactions
   * cancelled for a conflict or throttling, and of requests refused for throttling or a 5xx.
   * Default 5.
   */
  readonly maxAttempts?: number;
  /** Full-jitter backoff between attempts. Default {@link DEFAULT_BACKOFF} (50 ms doubling to 5 s). */
  readonly backoff?: BackoffOptions;
  /** Injected in tests to avoid real waits. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The clock stamped on written items, in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** Requests in flight at once (one per tally, or per account). Default 10. */
  readonly concurrency?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_CONCURRENCY = 10;

/** An integer option in range, or its default; throws {@link InvalidSinkOptionsError} otherwise. */
export function integerOption(name: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < min || chosen > max) throw new InvalidSinkOptionsError(`${name} must be an integer from ${min} to ${max}, got ${chosen}`);
  return chosen;
}

export function retryPolicyOf(options: TransactionalSinkOptions): RetryPolicy {
  return {
    maxAttempts: integerOption('maxAttempts', options.maxAttempts, DEFAULT_MAX_ATTEMPTS, 1),
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    sleep: options.sleep ?? realSleep,
  };
}

/** Every named table is a non-empty string; throws {@link InvalidSinkOptionsError} otherwise. */
export function checkTables<K extends string>(tables: Readonly<Record<K, string>> | undefined, names: readonly K[]): void {
  for (const name of names) {
    if (typeof tables?.[name] !== 'string' || tables[name] === '') throw new InvalidSinkOptionsError(`tables.${name} is required`);
  }
}

/**
 * Exponential backoff with full jitter, as AWS recommends for retrying throttled or partially
 * failed calls: the n-th wait is uniform in [0, min(cap, base × 2^n)).
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
import { setTimeout as wait } from 'node:timers/promises';

export interface BackoffOptions {
  /** First ceiling, in ms. */
  readonly baseMs: number;
  /** Largest ceiling, in ms. */
  readonly capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 50, capMs: 5_000 };

/** The wait before retry number `retry` (0-based). */
export function fullJitterDelayMs(retry: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(options.capMs, options.baseMs * 2 ** retry));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits `ms`, or less when `signal` aborts (then resolves early rather than rejecting). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return wait(ms, undefined, { signal }).then(() => undefined, () => undefined);
}

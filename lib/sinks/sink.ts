/**
 * The contract between a stream consumer and the stores it writes to. A sink writes what it is
 * given, idempotently, retries what is worth retrying itself, and then answers per item: an item
 * it does not name was written (or already was). Items are numbered by the caller (`ref`), so a
 * consumer can map a failure back to the stream record it came from.
 */

/** One value to write, tagged with the caller's reference. */
export interface SinkItem<T> {
  readonly ref: number;
  readonly value: T;
}

/**
 * An item the sink could not write.
 * - `transient`: throttling, 5xx, conflicts still failing after the sink's own retries; the
 *   record should be retried later (the consumer reports it to Lambda as a batch item failure).
 * - `permanent`: the store rejects the value itself (a mapping error, a too-large item); retrying
 *   cannot help, so the consumer sends it to the failure destination and moves on.
 */
export interface SinkFailure {
  readonly ref: number;
  readonly kind: 'transient' | 'permanent';
  /** The store's error code or type, e.g. `ProvisionedThroughputExceededException`, `mapper_parsing_exception`, `429`. */
  readonly code: string;
  readonly message: string;
}

export interface SinkResult {
  readonly failures: readonly SinkFailure[];
}

/** A store a consumer writes to. Throws only for what is not about particular items (e.g. an unreachable endpoint). */
export interface Sink<T> {
  write(items: readonly SinkItem<T>[]): Promise<SinkResult>;
}

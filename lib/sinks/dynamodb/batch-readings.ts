/**
 * A sink batch reduced to its distinct readings, and the per-ref bookkeeping the three writers
 * share: which caller refs each reading stands for, what failed, and the counts for metrics.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SinkFailure } from '../sink';
import type { Reading } from '../../telemetry/reading';

/**
 * The ordering every table agrees on: later `timestampMs` wins; on the same instant (the same
 * reading id, re-sent with different content) the higher `seq` wins, then the first seen.
 */
export const isNewerReading = (a: Pick<Reading, 'timestampMs' | 'seq'>, b: Pick<Reading, 'timestampMs' | 'seq'>): boolean =>
  a.timestampMs > b.timestampMs || (a.timestampMs === b.timestampMs && a.seq > b.seq);

/** One distinct reading (by `readingId`) of a batch, with the refs of every item that carried it. */
export interface BatchReading {
  reading: Reading;
  /** Its history item, already checked to be storable. */
  item: Record<string, AttributeValue>;
  bytes: number;
  readonly refs: number[];
}

/** Refs that one write could not complete, with DynamoDB's word on it. */
export interface RefFailure {
  readonly refs: readonly number[];
  readonly kind: SinkFailure['kind'];
  readonly code: string;
  readonly message: string;
}

/** What a call to the sink did, for metrics. Every field counts since the call began. */
export interface TelemetrySinkStats {
  /** Items the caller passed. */
  itemsReceived: number;
  /** Items that repeated a reading already in the batch (same device and timestamp). */
  duplicatesInBatch: number;
  /** Readings put into the history table (a replayed reading is put again: same item). */
  readingsWritten: number;
  /** History items or aggregate keys DynamoDB returned unprocessed (UnprocessedItems / UnprocessedKeys), each resent while attempts remain. */
  unprocessedRetries: number;
  /** Requests answered with throttling or a 5xx after the SDK's own retries (retried while attempts remain). */
  throttledRequests: number;
  /** Device states replaced by a newer reading. */
  statesWritten: number;
  /** Device states left alone: the stored one was as new or newer (ConditionalCheckFailed, a success). */
  stateConditionalNoOps: number;
  /** Aggregate items created or updated. */
  aggregatesWritten: number;
  /** Readings added to an aggregate. */
  aggregateReadingsCounted: number;
  /** Readings an aggregate had already counted (replays, duplicates): skipped. */
  aggregateReadingsSkipped: number;
  /** Aggregates with nothing new to count: no write at all. */
  aggregateNoOps: number;
  /** Aggregate writes that lost a race with another writer (version changed) and were retried. */
  aggregateConflicts: number;
  /** Refs reported as failed, by kind. */
  transientFailures: number;
  permanentFailures: number;
}

export const emptyStats = (): TelemetrySinkStats => ({
  itemsReceived: 0,
  duplicatesInBatch: 0,
  readingsWritten: 0,
  unprocessedRetries: 0,
  throttledRequests: 0,
  statesWritten: 0,
  stateConditionalNoOps: 0,
  aggregatesWritten: 0,
  aggregateReadingsCounted: 0,
  aggregateReadingsSkipped: 0,
  aggregateNoOps: 0,
  aggregateConflicts: 0,
  transientFailures: 0,
  permanentFailures: 0,
});

/** All refs of some readings. */
export const refsOf = (readings: readonly BatchReading[]): number[] => readings.flatMap((r) => r.refs);

/**
 * One failure per ref: a reading fails if any of its writes failed. `permanent` (the value itself
 * is refused) outranks `transient`, since retrying cannot make that write succeed; between two
 * of the same kind the first reported stays.
 */
export function mergeFailures(groups: readonly (readonly RefFailure[])[]): SinkFailure[] {
  const byRef = new Map<number, SinkFailure>();
  for (const failures of groups) {
    for (const failure of failures) {
      for (const ref of failure.refs) {
        const known = byRef.get(ref);
        if (known === undefined || (known.kind === 'transient' && failure.kind === 'permanent')) {
          byRef.set(ref, { ref, kind: failure.kind, code: failure.code, message: failure.message });
        }
      }
    }
  }
  return [...byRef.values()].sort((a, b) => a.ref - b.ref);
}

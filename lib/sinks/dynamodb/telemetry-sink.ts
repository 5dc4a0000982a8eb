/**
 * Device telemetry into DynamoDB, exactly once in effect from an at-least-once stream: each
 * reading into the history table, the newest per device into the state table, and into its
 * device's per-minute aggregate. Every write is idempotent (history: same key, same item; state:
 * only newer replaces older; aggregates: a reading already in the item's set is not counted
 * again), so batches retried by Lambda, records duplicated by producers and replays after a crash
 * change nothing.
 *
 * @example
 * const sink = new TelemetryDynamoDbSink({
 *   client: clients.dynamodb(),
 *   tables: { readings: 'readings', deviceState: 'device-state', minuteAggregates: 'minute-aggregates' },
 * });
 * const { failures, stats } = await sink.write(readings.map((value, ref) => ({ ref, value })));
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BackoffOptions } from '../../aws/backoff';
import { DEFAULT_BACKOFF, sleep as realSleep } from '../../aws/backoff';
import type { Reading } from '../../telemetry/reading';
import { readingId } from '../../telemetry/reading';
import type { Sink, SinkItem, SinkResult } from '../sink';
import type { BatchReading, RefFailure, TelemetrySinkStats } from './batch-readings';
import { emptyStats, isNewerReading, mergeFailures } from './batch-readings';
import { writeDeviceStates } from './device-state-writer';
import { InvalidSinkOptionsError } from './errors';
import { DEFAULT_MAX_CONFLICT_RETRIES, writeMinuteAggregates } from './minute-aggregates-writer';
import { prepareReadingItem } from './reading-items';
import { writeReadings } from './readings-writer';
import type { RetryPolicy } from './retry';
import type { TelemetryTables } from './tables';

export interface TelemetryDynamoDbSinkOptions {
  readonly client: DynamoDBClient;
  readonly tables: TelemetryTables;
  /**
   * Attempts per request, the first included, after the SDK's own retries: resends of
   * UnprocessedItems/UnprocessedKeys and of requests refused for throttling or a 5xx. Default 5.
   */
  readonly maxAttempts?: number;
  /** Full-jitter backoff between attempts. Default {@link DEFAULT_BACKOFF} (50 ms doubling to 5 s). */
  readonly backoff?: BackoffOptions;
  /** Injected in tests to avoid real waits. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** How long history and aggregate items live (DynamoDB TTL on `expires_at`), from the reading's time. Default 30. */
  readonly retentionDays?: number;
  /** The clock for `updated_at`, in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** Version conflicts on one aggregate (concurrent writers) retried before reporting its readings transient. Default 8. */
  readonly maxConflictRetries?: number;
  /** Requests in flight per table. Default 10. */
  readonly concurrency?: number;
}

/** A sink result with what the call did, for metrics. */
export interface TelemetrySinkResult extends SinkResult {
  readonly stats: Readonly<TelemetrySinkStats>;
}

export const DEFAULT_RETENTION_DAYS = 30;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_CONCURRENCY = 10;

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 1): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < min) throw new InvalidSinkOptionsError(`${name} must be an integer ≥ ${min}, got ${chosen}`);
  return chosen;
}

export class TelemetryDynamoDbSink implements Sink<Reading> {
  private readonly client: DynamoDBClient;
  private readonly tables: TelemetryTables;
  private readonly retry: RetryPolicy;
  private readonly retentionDays: number;
  private readonly now: () => number;
  private readonly maxConflictRetries: number;
  private readonly concurrency: number;
  private readonly totals: TelemetrySinkStats = emptyStats();

  /** @throws {InvalidSinkOptionsError} for a missing table name or a non-positive count. */
  constructor(options: TelemetryDynamoDbSinkOptions) {
    for (const table of ['readings', 'deviceState', 'minuteAggregates'] as const) {
      if (!options.tables?.[table]) throw new InvalidSinkOptionsError(`tables.${table} is required`);
    }
    this.client = options.client;
    this.tables = { ...options.tables };
    this.retry = {
      maxAttempts: positiveInteger('maxAttempts', options.maxAttempts, DEFAULT_MAX_ATTEMPTS),
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      sleep: options.sleep ?? realSleep,
    };
    this.retentionDays = positiveInteger('retentionDays', options.retentionDays, DEFAULT_RETENTION_DAYS);
    this.now = options.now ?? Date.now;
    this.maxConflictRetries = positiveInteger('maxConflictRetries', options.maxConflictRetries, DEFAULT_MAX_CONFLICT_RETRIES, 0);
    this.concurrency = positiveInteger('concurrency', options.concurrency, DEFAULT_CONCURRENCY);
  }

  /**
   * Writes the readings to the three tables (in parallel: they are independent) and answers per
   * ref. A reading fails if any of its writes failed: `transient` when a write is still
   * throttled, unprocessed or conflicting after the sink's retries (the stream should retry it;
   * its writes that did land make the retry a no-op there); `permanent` when DynamoDB cannot
   * store the value itself (over 400 KB, a number out of range) — such a reading is written
   * nowhere. Items repeating a reading (same device and timestamp) are written once and share
   * its outcome.
   */
  async write(items: readonly SinkItem<Reading>[]): Promise<TelemetrySinkResult> {
    const stats = emptyStats();
    stats.itemsReceived = items.length;
    const rejected: RefFailure[] = [];
    const distinct = new Map<string, BatchReading>();
    for (const { ref, value } of items) {
      const prepared = prepareReadingItem(value, this.retentionDays);
      if (!prepared.ok) {
        rejected.push({ refs: [ref], kind: 'permanent', code: prepared.code, message: prepared.message });
        continue;
      }
      const id = readingId(value);
      const seen = distinct.get(id);
      if (seen === undefined) {
        distinct.set(id, { reading: value, item: prepared.item, bytes: prepared.bytes, refs: [ref] });
        continue;
      }
      // One key per BatchWriteItem request: keep the newest version of the reading.
      stats.duplicatesInBatch++;
      seen.refs.push(ref);
      if (isNewerReading(value, seen.reading)) Object.assign(seen, { reading: value, item: prepared.item, bytes: prepared.bytes });
    }

    const readings = [...distinct.values()];
    const updatedAt = new Date(this.now()).toISOString();
    const common = { client: this.client, retry: this.retry, concurrency: this.concurrency, stats };
    const outcomes = readings.length === 0
      ? []
      : await Promise.allSettled([
        writeReadings(readings, { ...common, table: this.tables.readings }),
        writeDeviceStates(readings, { ...common, table: this.tables.deviceState, updatedAt }),
        writeMinuteAggregates(readings, { ...common, table: this.tables.minuteAggregates, maxConflictRetries: this.maxConflictRetries, retentionDays: this.retentionDays, updatedAt }),
      ]);
    // The writers report DynamoDB's errors per ref; a rejection here is a bug, thrown once all settled.
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
    const failures = mergeFailures([rejected, ...outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : []))]);
    for (const failure of failures) {
      if (failure.kind === 'permanent') stats.permanentFailures++;
      else stats.transientFailures++;
    }
    this.accumulate(stats);
    return { failures, stats };
  }

  /** Counts since the sink was made (e.g. for a long-running local consumer). */
  totalStats(): Readonly<TelemetrySinkStats> {
    return { ...this.totals };
  }

  private accumulate(stats: TelemetrySinkStats): void {
    for (const key of Object.keys(stats) as (keyof TelemetrySinkStats)[]) this.totals[key] += stats[key];
  }
}

/**
 * The per-minute aggregates table, written atomically and idempotently.
 *
 * Per (device, minute) of the batch: read the item (BatchGetItem, ConsistentRead, ≤ 100 keys a
 * request, UnprocessedKeys resent), drop the readings its `readings` set already holds (replays,
 * duplicates from producer retries, the same reading arriving through another shard), compute
 * the new aggregate from the stored one plus the rest, and write it with one UpdateItem
 * conditioned on the version read. A concurrent writer (another shard's consumer, a retried
 * invocation still running) makes the condition fail: the item it wrote comes back with the
 * error, and the readings are re-filtered against it and written again, a bounded number of
 * times, before they are reported `transient`.
 *
 * Why a consistent read: correctness does not depend on it (a stale version fails the
 * condition), but a failed conditional write still consumes write capacity, so a strongly
 * consistent read (1 RCU for an item ≤ 4 KB) is the cheaper way to avoid the retry.
 * Why not one update expression: `ADD` could keep counts and sums, but min and max cannot be
 * folded in by an expression, and a per-reading `NOT contains(readings, :r)` condition would
 * reject the whole update if any one reading were already counted.
 */
import type { AttributeValue, DynamoDBClient, KeysAndAttributes } from '@aws-sdk/client-dynamodb';
import { BatchGetItemCommand, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { fullJitterDelayMs } from '../../aws/backoff';
import type { FailedEntry } from '../../aws/partial-retry';
import { sendWithPartialRetry } from '../../aws/partial-retry';
import { readingMinute } from '../../telemetry/reading';
import type { BatchReading, RefFailure, TelemetrySinkStats } from './batch-readings';
import { refsOf } from './batch-readings';
import { forEachConcurrently } from './concurrency';
import { errorMessage, errorName, isConditionalCheckFailed, isRetriable, isValidationError } from './errors';
import type { AggregateKey, StoredAggregate } from './minute-aggregate';
import { addReadings, aggregateKeyItem, aggregateUpdate, fitsInItem, memberOf, parseAggregateItem } from './minute-aggregate';
import type { RetryPolicy } from './retry';
import { sendWithRetry } from './retry';

/** BatchGetItem takes at most 100 keys a request. */
export const BATCH_GET_MAX_KEYS = 100;
/** Version conflicts on one aggregate retried before its readings are reported transient. */
export const DEFAULT_MAX_CONFLICT_RETRIES = 8;

export interface MinuteAggregatesWriterContext {
  readonly client: DynamoDBClient;
  readonly table: string;
  readonly retry: RetryPolicy;
  readonly maxConflictRetries: number;
  readonly concurrency: number;
  readonly retentionDays: number;
  readonly updatedAt: string;
  readonly stats: TelemetrySinkStats;
}

interface MinuteGroup {
  readonly key: AggregateKey;
  readonly readings: BatchReading[];
  /** After the read: the stored aggregate, or null if there is none. Undefined: not read. */
  stored: StoredAggregate | null | undefined;
}

const groupKey = (deviceId: string | undefined, minute: string | undefined): string => `${deviceId}|${minute}`;

/** The batch's readings by device and minute. */
export function groupByDeviceMinute(readings: readonly BatchReading[]): MinuteGroup[] {
  const groups = new Map<string, MinuteGroup>();
  for (const reading of readings) {
    const key = { device_id: reading.reading.device_id, minute: readingMinute(reading.reading) };
    const text = groupKey(key.device_id, key.minute);
    let group = groups.get(text);
    if (group === undefined) groups.set(text, (group = { key, readings: [], stored: undefined }));
    group.readings.push(reading);
  }
  return [...groups.values()];
}

export async function writeMinuteAggregates(readings: readonly BatchReading[], context: MinuteAggregatesWriterContext): Promise<RefFailure[]> {
  const groups = groupByDeviceMinute(readings);
  const failures: RefFailure[] = [];
  const chunks: MinuteGroup[][] = [];
  for (let i = 0; i < groups.length; i += BATCH_GET_MAX_KEYS) chunks.push(groups.slice(i, i + BATCH_GET_MAX_KEYS));
  await forEachConcurrently(chunks, context.concurrency, async (chunk) => {
    failures.push(...(await readAggregates(chunk, context)));
  });
  await forEachConcurrently(groups.filter((group) => group.stored !== undefined), context.concurrency, async (group) => {
    const failure = await updateAggregate(group, context);
    if (failure) failures.push(failure);
  });
  return failures;
}

/** Reads the groups' stored aggregates into `group.stored`; the groups it could not read fail. */
async function readAggregates(chunk: readonly MinuteGroup[], context: MinuteAggregatesWriterContext): Promise<RefFailure[]> {
  const { client, table, stats } = context;
  const failures: RefFailure[] = [];
  const send = async (batch: readonly MinuteGroup[]): Promise<FailedEntry<MinuteGroup>[]> => {
    const request: KeysAndAttributes = { Keys: batch.map((group) => aggregateKeyItem(group.key)), ConsistentRead: true };
    let out;
    try {
      out = await client.send(new BatchGetItemCommand({ RequestItems: { [table]: request } }));
    } catch (error) {
      if (isRetriable(error)) {
        stats.throttledRequests++;
        return batch.map((entry) => ({ entry, errorCode: errorName(error), errorMessage: errorMessage(error) }));
      }
      failures.push({ refs: batch.flatMap((group) => refsOf(group.readings)), kind: 'transient', code: errorName(error), message: errorMessage(error) });
      return [];
    }
    const byKey = new Map(batch.map((group) => [groupKey(group.key.device_id, group.key.minute), group]));
    const unread = new Set<MinuteGroup>();
    for (const key of out.UnprocessedKeys?.[table]?.Keys ?? []) {
      const group = byKey.get(groupKey(key.device_id?.S, key.minute?.S));
      if (group) unread.add(group);
    }
    for (const item of out.Responses?.[table] ?? []) {
      const group = byKey.get(groupKey(item.device_id?.S, item.minute?.S));
      if (group === undefined) continue;
      try {
        group.stored = parseAggregateItem(item);
      } catch (error) {
        unread.delete(group);
        byKey.delete(groupKey(group.key.device_id, group.key.minute));
        failures.push({ refs: refsOf(group.readings), kind: 'transient', code: errorName(error), message: errorMessage(error) });
      }
    }
    // Neither returned nor unprocessed: there is no item yet.
    for (const group of byKey.values()) if (!unread.has(group) && group.stored === undefined) group.stored = null;
    stats.unprocessedRetries += unread.size;
    return [...unread].map((entry) => ({ entry, errorCode: 'UnprocessedKeys' }));
  };
  const report = await sendWithPartialRetry(chunk, send, { maxAttempts: context.retry.maxAttempts, backoff: context.retry.backoff, sleep: context.retry.sleep });
  for (const { entry, errorCode, errorMessage: message } of report.failed) {
    failures.push({
      refs: refsOf(entry.readings),
      kind: 'transient',
      code: errorCode,
      message: message ?? `aggregate not read after ${report.attempts} attempt(s): DynamoDB left the key unprocessed`,
    });
  }
  return failures;
}

const SECONDS_PER_DAY = 86_400;

/** Writes one group's uncounted readings into its aggregate; returns the failure if it could not. */
async function updateAggregate(group: MinuteGroup, context: MinuteAggregatesWriterContext): Promise<RefFailure | undefined> {
  const { client, table, stats } = context;
  const expiresAt = Math.floor(group.readings[0]!.reading.timestampMs / 60_000) * 60 + context.retentionDays * SECONDS_PER_DAY;
  let stored = group.stored ?? undefined;
  let pending = group.readings;
  for (let conflicts = 0; ; conflicts++) {
    const counted = stored?.aggregate.members;
    const before = pending.length;
    if (counted) pending = pending.filter((r) => !counted.has(memberOf(r.reading)));
    stats.aggregateReadingsSkipped += before - pending.length;
    if (pending.length === 0) {
      if (conflicts === 0) stats.aggregateNoOps++;
      return undefined;
    }
    const next = addReadings(stored?.aggregate, pending.map((r) => r.reading));
    const { input, bytes } = aggregateUpdate(table, {
      key: group.key,
      next,
      added: pending.map((r) => memberOf(r.reading)),
      expectedVersion: stored?.version,
      expiresAt,
      updatedAt: context.updatedAt,
    });
    // Cannot happen with distinct millisecond timestamps (see minute-aggregate.ts); kept so that
    // a change of member format cannot turn into an endless ValidationException.
    if (!fitsInItem(bytes)) return { refs: refsOf(pending), kind: 'permanent', code: 'ItemTooLarge', message: `the aggregate of ${group.key.device_id} at ${group.key.minute} would be ${bytes} bytes` };
    try {
      await sendWithRetry(() => client.send(new UpdateItemCommand(input)), context.retry, () => stats.throttledRequests++);
      stats.aggregatesWritten++;
      stats.aggregateReadingsCounted += pending.length;
      return undefined;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) {
        return { refs: refsOf(pending), kind: isValidationError(error) ? 'permanent' : 'transient', code: errorName(error), message: `aggregate not written: ${errorMessage(error)}` };
      }
      stats.aggregateConflicts++;
      if (conflicts >= context.maxConflictRetries) {
        return { refs: refsOf(pending), kind: 'transient', code: 'AggregateConflict', message: `aggregate of ${group.key.device_id} at ${group.key.minute} still changing after ${conflicts + 1} conditional writes` };
      }
      try {
        stored = await currentAggregate(error, group.key, context);
      } catch (readError) {
        return { refs: refsOf(pending), kind: 'transient', code: errorName(readError), message: `aggregate not re-read after a conflict: ${errorMessage(readError)}` };
      }
      // Concurrent writers met on the same item: spread them out before the next try.
      await context.retry.sleep(fullJitterDelayMs(conflicts, context.retry.backoff));
    }
  }
}

/** The item that failed the condition: returned with the error (ALL_OLD), else read again consistently. */
async function currentAggregate(error: unknown, key: AggregateKey, context: MinuteAggregatesWriterContext): Promise<StoredAggregate | undefined> {
  const returned = (error as { Item?: Record<string, AttributeValue> }).Item;
  if (returned !== undefined) return parseAggregateItem(returned);
  const out = await sendWithRetry(
    () => context.client.send(new GetItemCommand({ TableName: context.table, Key: aggregateKeyItem(key), ConsistentRead: true })),
    context.retry,
    () => context.stats.throttledRequests++,
  );
  return out.Item === undefined ? undefined : parseAggregateItem(out.Item);
}

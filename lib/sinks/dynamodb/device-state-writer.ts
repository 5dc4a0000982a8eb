/**
 * The device state table: the newest reading of each device, never moved backwards.
 *
 * A batch is collapsed to its newest reading per device ({@link isNewerReading}), then one
 * conditional PutItem per device replaces the stored state only if it is older:
 * `attribute_not_exists(device_id) OR timestamp_ms < :ts OR (timestamp_ms = :ts AND seq < :seq)`.
 * The comparison is on the numeric `timestamp_ms`, not the `timestamp` text: string order equals
 * time order only while every writer spells timestamps identically (`…:00Z` sorts after
 * `…:00.500Z`, since `Z` > `.`), whereas a number compares the instant whatever wrote it.
 * A failed condition means the stored state is as new or newer — a replay, a duplicate, or a
 * late reading — so it is a success, never a failure.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { BatchReading, RefFailure, TelemetrySinkStats } from './batch-readings';
import { isNewerReading } from './batch-readings';
import { forEachConcurrently } from './concurrency';
import { errorMessage, errorName, isConditionalCheckFailed, isValidationError } from './errors';
import { deviceStateItem, TIMESTAMP_MS } from './reading-items';
import type { RetryPolicy } from './retry';
import { sendWithRetry } from './retry';

export interface DeviceStateWriterContext {
  readonly client: DynamoDBClient;
  readonly table: string;
  readonly retry: RetryPolicy;
  readonly concurrency: number;
  readonly stats: TelemetrySinkStats;
  /** ISO-8601 time stamped on the items written (`updated_at`). */
  readonly updatedAt: string;
}

/** Only replace an absent or older state; on the same instant, a higher seq wins. */
export const NEWER_STATE_CONDITION = 'attribute_not_exists(#device) OR #ts < :ts OR (#ts = :ts AND #seq < :seq)';

interface DeviceBatch {
  newest: BatchReading;
  readonly refs: number[];
}

/** The newest reading of each device in the batch, with the refs of all that device's readings. */
export function newestPerDevice(readings: readonly BatchReading[]): DeviceBatch[] {
  const devices = new Map<string, DeviceBatch>();
  for (const reading of readings) {
    const device = devices.get(reading.reading.device_id);
    if (device === undefined) {
      devices.set(reading.reading.device_id, { newest: reading, refs: [...reading.refs] });
    } else {
      device.refs.push(...reading.refs);
      if (isNewerReading(reading.reading, device.newest.reading)) device.newest = reading;
    }
  }
  return [...devices.values()];
}

export async function writeDeviceStates(readings: readonly BatchReading[], context: DeviceStateWriterContext): Promise<RefFailure[]> {
  const { client, table, stats } = context;
  const failures: RefFailure[] = [];
  await forEachConcurrently(newestPerDevice(readings), context.concurrency, async ({ newest, refs }) => {
    const command = new PutItemCommand({
      TableName: table,
      Item: deviceStateItem(newest.item, newest.reading, context.updatedAt),
      ConditionExpression: NEWER_STATE_CONDITION,
      ExpressionAttributeNames: { '#device': 'device_id', '#ts': TIMESTAMP_MS, '#seq': 'seq' },
      ExpressionAttributeValues: { ':ts': { N: String(newest.reading.timestampMs) }, ':seq': { N: String(newest.reading.seq) } },
    });
    try {
      await sendWithRetry(() => client.send(command), context.retry, () => stats.throttledRequests++);
      stats.statesWritten++;
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        stats.stateConditionalNoOps++;
      } else if (isValidationError(error)) {
        // The newest reading's value is refused; the device's older readings are not at fault.
        failures.push({ refs: newest.refs, kind: 'permanent', code: errorName(error), message: errorMessage(error) });
      } else {
        failures.push({ refs, kind: 'transient', code: errorName(error), message: `device state not written: ${errorMessage(error)}` });
      }
    }
  });
  return failures;
}

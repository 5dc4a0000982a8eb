/** Shared fixtures of the DynamoDB sink's unit tests: readings as the consumer gets them, and update-expression readers. */
import type { AttributeValue, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { TelemetryOptions, TelemetryReading } from '../../../../lib/datasets/telemetry';
import { generateTelemetry } from '../../../../lib/datasets/telemetry';
import type { Reading } from '../../../../lib/telemetry/reading';
import { parseReading } from '../../../../lib/telemetry/reading';

export const TABLES = { readings: 'readings', deviceState: 'device-state', minuteAggregates: 'minute-aggregates' } as const;

/** A raw reading through the consumer's parser (JSON bytes → validated, normalised Reading). */
export function parsed(raw: TelemetryReading): Reading {
  const result = parseReading(Buffer.from(JSON.stringify(raw)));
  if (!result.ok) throw new Error(`fixture reading is invalid: ${JSON.stringify(result.error)}`);
  return result.reading;
}

export const generatedReadings = (count: number, options: TelemetryOptions = {}): Reading[] => [...generateTelemetry(count, options)].map(parsed);

/** One valid reading; fields overridden as given (the timestamp is normalised by the parser). */
export function reading(overrides: Partial<TelemetryReading> = {}): Reading {
  return parsed({
    device_id: 'sensor-0001',
    timestamp: '2026-11-25T22:00:01.250Z',
    seq: 1,
    temperature_c: 21.5,
    humidity_pct: 40.1,
    pressure_hpa: 1001.2,
    battery_pct: 88.8,
    rssi_dbm: -60,
    status: 'ok',
    firmware: '1.4.2',
    ...overrides,
  });
}

export const items = <T>(values: readonly T[], firstRef = 0): { ref: number; value: T }[] => values.map((value, i) => ({ ref: firstRef + i, value }));

/** Waits recorded instead of slept. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: (ms) => { waits.push(ms); return Promise.resolve(); } };
}

export function sdkError(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: {} }, extra);
}

/** The attribute → value assignments of an UpdateItem's `SET` clause, and its `ADD` clause. */
export function updateClauses(input: UpdateItemCommandInput | undefined): { set: Record<string, AttributeValue>; add: Record<string, AttributeValue> } {
  const names = input?.ExpressionAttributeNames ?? {};
  const values = input?.ExpressionAttributeValues ?? {};
  const match = /^SET (.*) ADD (.*)$/.exec(input?.UpdateExpression ?? '');
  if (!match) throw new Error(`unexpected update expression ${input?.UpdateExpression}`);
  const read = (clause: string, separator: string): Record<string, AttributeValue> =>
    Object.fromEntries(clause.split(', ').map((part) => {
      const [name, value] = part.split(separator).map((s) => s.trim());
      return [names[name!]!, values[value!]!];
    }));
  return { set: read(match[1]!, '='), add: read(match[2]!, ' ') };
}

/** An UpdateItem's condition with its placeholders replaced by names and values. */
export function resolvedCondition(input: UpdateItemCommandInput | undefined): string {
  const names = input?.ExpressionAttributeNames ?? {};
  const values = input?.ExpressionAttributeValues ?? {};
  return (input?.ConditionExpression ?? '')
    .replace(/#n\d+/g, (placeholder) => names[placeholder] ?? placeholder)
    .replace(/:v\d+/g, (placeholder) => JSON.stringify(values[placeholder]));
}

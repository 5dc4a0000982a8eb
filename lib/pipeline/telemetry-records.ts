/**
 * The main job's telemetry input: generated readings as JSON user records, with the faults a
 * real fleet produces mixed in — re-sent readings (a producer retry after a lost response),
 * poison records (not JSON, out of range, an unknown field) and one corrupt KPL aggregate —
 * and the expected outcome computed independently of the pipeline.
 */
import { aggregate } from '../kinesis/aggregation';
import { generateTelemetry } from '../datasets/telemetry';
import type { Reading } from '../telemetry/reading';
import { parseReading, readingId, readingMinute } from '../telemetry/reading';

export interface TelemetryInputOptions {
  readonly readings: number;
  readonly devices: number;
  readonly seed: number;
  /** One poison record after every n readings (0: none). */
  readonly badEvery: number;
  /** Every n-th reading is sent twice (0: none). */
  readonly duplicateEvery: number;
  /** Every n-th reading is published through the IoT topic rule instead of the producer (0: none). */
  readonly viaIotEvery: number;
}

export interface TelemetryMessage {
  readonly data: Buffer;
  readonly deviceId: string;
  /** How it enters the stream. */
  readonly route: 'producer' | 'iot';
}

export interface InjectedTelemetryFaults {
  readonly duplicates: number;
  readonly notJson: number;
  readonly outOfRange: number;
  readonly unknownField: number;
  /** Kinesis records holding a KPL aggregate with a wrong MD5 (each goes whole to the failure destination). */
  readonly corruptAggregates: number;
}

/** What the sinks must hold at the end, computed from the unique valid readings alone. */
export interface ExpectedTelemetry {
  readonly readings: number;
  readonly devices: number;
  /** Newest reading timestamp per device. */
  readonly newest: ReadonlyMap<string, string>;
  /** Readings per `device_id|minute`. */
  readonly perMinute: ReadonlyMap<string, number>;
  /** Poison user records per consumer (each consumer routes each one to its own failure prefix). */
  readonly poisonRecords: number;
}

export interface TelemetryInput {
  readonly messages: readonly TelemetryMessage[];
  /** Raw Kinesis records to put as they are (the corrupt aggregate). */
  readonly rawRecords: readonly { readonly data: Buffer; readonly partitionKey: string }[];
  readonly injected: InjectedTelemetryFaults;
  readonly expected: ExpectedTelemetry;
}

export function buildTelemetryInput(options: TelemetryInputOptions): TelemetryInput {
  const messages: TelemetryMessage[] = [];
  const injected = { duplicates: 0, notJson: 0, outOfRange: 0, unknownField: 0, corruptAggregates: 0 };
  const valid: Reading[] = [];
  let i = 0;
  for (const reading of generateTelemetry(options.readings, { seed: options.seed, devices: options.devices })) {
    i++;
    const data = Buffer.from(JSON.stringify(reading));
    const route = options.viaIotEvery > 0 && i % options.viaIotEvery === 0 ? 'iot' : 'producer';
    messages.push({ data, deviceId: reading.device_id, route });
    const parsed = parseReading(data);
    if (parsed.ok) valid.push(parsed.reading);
    if (options.duplicateEvery > 0 && i % options.duplicateEvery === 0) {
      messages.push({ data, deviceId: reading.device_id, route: 'producer' });
      injected.duplicates++;
    }
    if (options.badEvery > 0 && i % options.badEvery === 0) {
      const kind = (i / options.badEvery) % 3;
      const bad = kind === 0
        ? Buffer.from(`{"device_id":"${reading.device_id}","timestamp":`)
        : kind === 1
          ? Buffer.from(JSON.stringify({ ...reading, temperature_c: 999, timestamp: new Date(Date.parse(reading.timestamp) + 1).toISOString() }))
          : Buffer.from(JSON.stringify({ ...reading, colour: 'red', timestamp: new Date(Date.parse(reading.timestamp) + 2).toISOString() }));
      if (kind === 0) injected.notJson++;
      else if (kind === 1) injected.outOfRange++;
      else injected.unknownField++;
      messages.push({ data: bad, deviceId: reading.device_id, route: 'producer' });
    }
  }
  // A KPL aggregate whose MD5 does not match: three well-formed readings of a device seen nowhere
  // else, which must not reach the sinks (the record cannot be trusted as a whole).
  const rawRecords: { data: Buffer; partitionKey: string }[] = [];
  if (options.badEvery > 0) {
    const lost = [...generateTelemetry(3, { seed: options.seed + 1, devices: 1 })].map((r) => ({ ...r, device_id: 'sensor-corrupt' }));
    const corrupt = aggregate(lost.map((r) => ({ partitionKey: r.device_id, data: Buffer.from(JSON.stringify(r)) })));
    corrupt[corrupt.length - 1]! ^= 0x01;
    rawRecords.push({ data: corrupt, partitionKey: 'sensor-corrupt' });
    injected.corruptAggregates++;
  }

  const unique = new Map<string, Reading>();
  for (const reading of valid) unique.set(readingId(reading), reading);
  const newest = new Map<string, string>();
  const perMinute = new Map<string, number>();
  for (const reading of unique.values()) {
    if ((newest.get(reading.device_id) ?? '') < reading.timestamp) newest.set(reading.device_id, reading.timestamp);
    const key = `${reading.device_id}|${readingMinute(reading)}`;
    perMinute.set(key, (perMinute.get(key) ?? 0) + 1);
  }
  return {
    messages,
    rawRecords,
    injected,
    expected: {
      readings: unique.size,
      devices: newest.size,
      newest,
      perMinute,
      poisonRecords: injected.notJson + injected.outOfRange + injected.unknownField + injected.corruptAggregates,
    },
  };
}

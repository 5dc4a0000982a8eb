/**
 * A telemetry reading as the consumers see it: one Kinesis user record's JSON, validated against
 * schemas/telemetry.json, with its timestamp normalised to UTC. Everything downstream (DynamoDB
 * keys, OpenSearch ids, per-minute buckets) is computed from this one shape.
 */
import type { TelemetryReading } from '../datasets/telemetry';
import { normaliseTimestamp } from '../formats/timestamp';
import { getSchema } from '../schemas/registry';
import { compileValidator } from '../schemas/validator';

/** A valid reading; `timestamp` is ISO-8601 UTC with milliseconds (`2026-11-25T22:00:00.005Z`). */
export interface Reading extends TelemetryReading {
  /** `timestamp` in ms since the epoch. */
  readonly timestampMs: number;
}

/** Why a user record is not a reading: which field, and what is wrong with it. */
export interface ReadingError {
  readonly field: string | undefined;
  readonly reason: string;
}

export type ReadingResult = { readonly ok: true; readonly reading: Reading } | { readonly ok: false; readonly error: ReadingError };

/** The identity of a reading: a device never sends two readings for the same instant. */
export const readingId = (reading: Pick<Reading, 'device_id' | 'timestamp'>): string => `${reading.device_id}|${reading.timestamp}`;

/** The UTC minute a reading falls in, `YYYY-MM-DDTHH:MMZ`. */
export const readingMinute = (reading: Pick<Reading, 'timestamp'>): string => `${reading.timestamp.slice(0, 16)}Z`;

let validate: ReturnType<typeof compileValidator> | undefined;

/** Decodes and validates one user record's bytes (UTF-8 JSON). */
export function parseReading(data: Uint8Array): ReadingResult {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (error) {
    return { ok: false, error: { field: undefined, reason: `not JSON: ${(error as Error).message}` } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: { field: undefined, reason: `expected a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}` } };
  }
  validate ??= compileValidator(getSchema('telemetry'));
  const violation = validate(value as Record<string, unknown>);
  if (violation) return { ok: false, error: violation };
  const raw = value as TelemetryReading;
  // The validator takes any string as a date-time (CSV rows arrive normalised); JSON does not.
  const timestamp = normaliseTimestamp(raw.timestamp);
  if (timestamp === undefined) return { ok: false, error: { field: 'timestamp', reason: `not an ISO-8601 date-time, got ${JSON.stringify(raw.timestamp)}` } };
  return { ok: true, reading: { ...raw, timestamp, timestampMs: Date.parse(timestamp) } };
}

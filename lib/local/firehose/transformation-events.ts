/**
 * Builds Firehose transformation events the way Firehose does: records batched up to the
 * processor's buffer size, each with a Firehose-style record id and arrival time. The local
 * runtime, the main job, tests and benchmarks all invoke the transform through these.
 */
import { randomUUID } from 'node:crypto';
import type { FirehoseTransformationEvent, FirehoseTransformationEventRecord } from '../../firehose/transformation-contract';

export interface EventOptions {
  readonly deliveryStreamName?: string;
  readonly region?: string;
  readonly accountId?: string;
  /** The Lambda processor's `BufferSizeInMBs` (Firehose allows 0.2–3; default 1). */
  readonly bufferSizeMb?: number;
  readonly arrivalMs?: number;
}

export const LOCAL_ACCOUNT_ID = '000000000000';

/** A record id in Firehose's form: a long decimal string, unique within the stream. */
function recordIdFor(sequence: number, arrivalMs: number): string {
  return `49${String(arrivalMs).padStart(16, '0')}${String(sequence).padStart(38, '0')}`;
}

/** Splits records (raw bytes) into transformation events of at most `bufferSizeMb` of data each. */
export function buildTransformationEvents(records: readonly Uint8Array[], options: EventOptions = {}): FirehoseTransformationEvent[] {
  const region = options.region ?? 'eu-west-1';
  const stream = options.deliveryStreamName ?? 'shardline-local-clickstream';
  const arn = `arn:aws:firehose:${region}:${options.accountId ?? LOCAL_ACCOUNT_ID}:deliverystream/${stream}`;
  const maxBytes = (options.bufferSizeMb ?? 1) * 1024 * 1024;
  const arrivalMs = options.arrivalMs ?? Date.now();
  const events: FirehoseTransformationEvent[] = [];
  let batch: FirehoseTransformationEventRecord[] = [];
  let bytes = 0;
  const flush = (): void => {
    if (batch.length === 0) return;
    events.push({ invocationId: randomUUID(), deliveryStreamArn: arn, region, records: batch });
    batch = [];
    bytes = 0;
  };
  records.forEach((data, i) => {
    if (bytes > 0 && bytes + data.byteLength > maxBytes) flush();
    batch.push({ recordId: recordIdFor(i, arrivalMs), approximateArrivalTimestamp: arrivalMs, data: Buffer.from(data).toString('base64') });
    bytes += data.byteLength;
  });
  flush();
  return events;
}

/**
 * Test helpers for the Firehose transformation: records and events, clickstream rows, and fakes
 * for the reingester and the logger that remember what they were given.
 */
import type { FirehoseTransformationEvent, FirehoseTransformationEventRecord, KinesisRecordMetadata } from '../../lib/firehose/transformation-contract';
import type { ReingestRecord, Reingester } from '../../lib/firehose/reingest';
import type { TransformLogger } from '../../lib/firehose/transform-batch';
import { getSchema } from '../../lib/schemas/registry';

export const DELIVERY_STREAM_ARN = 'arn:aws:firehose:eu-west-1:000000000000:deliverystream/shardline-test-clickstream';
export const KINESIS_STREAM_ARN = 'arn:aws:kinesis:eu-west-1:000000000000:stream/shardline-test-source';

export const toBase64 = (data: string | Uint8Array): string => Buffer.from(data).toString('base64');
export const fromBase64 = (base64: string): string => Buffer.from(base64, 'base64').toString('utf8');

/** A record whose data is `data` (text or bytes) in base64; `rawData` puts the string in `data` as is. */
export function firehoseRecord(
  recordId: string,
  data: string | Uint8Array,
  options: { rawData?: boolean; kinesis?: Partial<KinesisRecordMetadata> } = {},
): FirehoseTransformationEventRecord {
  const base = {
    recordId,
    approximateArrivalTimestamp: 1_795_694_400_000,
    data: options.rawData && typeof data === 'string' ? data : toBase64(data),
  };
  if (!options.kinesis) return base;
  const kinesisRecordMetadata: KinesisRecordMetadata = {
    shardId: 'shardId-000000000000',
    partitionKey: 'pk',
    approximateArrivalTimestamp: 1_795_694_400_000,
    sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
    subsequenceNumber: 0,
    ...options.kinesis,
  };
  return { ...base, kinesisRecordMetadata };
}

export function firehoseEvent(
  records: readonly FirehoseTransformationEventRecord[],
  options: { sourceKinesisStreamArn?: string } = {},
): FirehoseTransformationEvent {
  return {
    invocationId: 'invocation-0001',
    deliveryStreamArn: DELIVERY_STREAM_ARN,
    region: 'eu-west-1',
    ...(options.sourceKinesisStreamArn ? { sourceKinesisStreamArn: options.sourceKinesisStreamArn } : {}),
    records,
  };
}

/** The clickstream columns, in CSV order. */
export const CLICKSTREAM_COLUMNS = getSchema('clickstream').columns.map((c) => c.name);

/** One valid clickstream row; its event happens on 2026-11-25 (UTC) and is a `page_view`. */
export const VALID_FIELDS: Readonly<Record<string, string>> = {
  event_id: 'c567fbb5-522e-453a-90ae-8dae18aefd9f',
  user_id: 'u-441',
  session_id: 's-441-997580',
  event_type: 'page_view',
  page_url: 'https://shop.example.com/help?topic="returns"',
  referrer: 'https://www.google.com/',
  device: 'tablet',
  country: 'US',
  timestamp: '2026-11-26T00:00:00.262+02:00',
  duration_ms: '39367',
  revenue: '',
};

/** The fields of a valid clickstream row, with some columns replaced. */
export function clickstreamFields(overrides: Readonly<Record<string, string>> = {}): string[] {
  for (const name of Object.keys(overrides)) {
    if (!CLICKSTREAM_COLUMNS.includes(name)) throw new Error(`unknown clickstream column ${name}`);
  }
  return CLICKSTREAM_COLUMNS.map((name) => overrides[name] ?? VALID_FIELDS[name]!);
}

/** A CSV line (no line ending) for {@link clickstreamFields}; quotes fields that need it. */
export function clickstreamLine(overrides: Readonly<Record<string, string>> = {}): string {
  return clickstreamFields(overrides)
    .map((f) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f))
    .join(',');
}

/** A reingester that keeps every record it is given, or rejects with `failWith`. */
export class RecordingReingester implements Reingester {
  readonly calls: ReingestRecord[][] = [];
  constructor(private readonly failWith?: Error) {}

  get records(): ReingestRecord[] {
    return this.calls.flat();
  }

  reingest(records: readonly ReingestRecord[]): Promise<void> {
    this.calls.push([...records]);
    return this.failWith ? Promise.reject(this.failWith) : Promise.resolve();
  }
}

export interface LogEntry {
  readonly level: 'warn' | 'info';
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

/** A logger that keeps every entry. */
export class RecordingLogger implements TransformLogger {
  readonly entries: LogEntry[] = [];

  warn(message: string, attributes: Record<string, unknown>): void {
    this.entries.push({ level: 'warn', message, attributes });
  }

  info(message: string, attributes: Record<string, unknown>): void {
    this.entries.push({ level: 'info', message, attributes });
  }

  /** The structured failures logged for records, in order. */
  get failures(): Record<string, unknown>[] {
    return this.entries.filter((e) => e.message === 'Record failed transformation').map((e) => e.attributes);
  }
}

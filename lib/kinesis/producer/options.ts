/** Settings of the Kinesis producer, their defaults, and the clock it runs on. */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { BackoffOptions } from '../../aws/backoff';
import type { ShardMap } from '../shard-map';
import type { ProducerFailure } from './report';

/** Time and timers, injectable so tests and simulations control the buffering deadline. */
export interface ProducerClock {
  /** Milliseconds, any origin. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const SYSTEM_CLOCK: ProducerClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Options of {@link KinesisProducer}. Every limit defaults to Kinesis's (or the KPL's) default. */
export interface KinesisProducerOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  /** Sent with `StreamName` when given (needed for cross-account streams). */
  readonly streamArn?: string;
  /** KPL aggregation, per target shard (default true). */
  readonly aggregate?: boolean;
  /** Largest aggregated record, in bytes of data (default 51,200: the KPL's `AggregationMaxSize`). */
  readonly aggregationMaxBytes?: number;
  /** Most user records in one aggregated record (default 4,294,967,295: the KPL's `AggregationMaxCount`). */
  readonly aggregationMaxCount?: number;
  /** Longest a user record waits in the buffer before a flush (default 100 ms: the KPL's `RecordMaxBufferedTime`). */
  readonly maxBufferedTimeMs?: number;
  /**
   * Most user records held (buffered, in flight or being retried) before `put` waits (default
   * 200,000). Under throttling, held records are what keeps every shard's budget in use each
   * second: the benchmark's saturated shards used 95–98 % of their byte limit with 50,000, 99 % with 200,000.
   */
  readonly maxBufferedRecords?: number;
  /** Most bytes (data + partition keys) held before `put` waits (default 64 MiB). */
  readonly maxBufferedBytes?: number;
  /** Most entries in a `PutRecords` request (default 500). */
  readonly maxRecordsPerRequest?: number;
  /** Most bytes (data + partition keys) in a `PutRecords` request (default 5 MiB). */
  readonly maxBytesPerRequest?: number;
  /** Largest Kinesis record, data + partition key (default 1 MiB; streams can opt into more). */
  readonly maxRecordBytes?: number;
  /** `PutRecords` requests in flight at once (default 4). Above 1, records of one key may land out of order. */
  readonly maxConcurrentRequests?: number;
  /** Attempts per Kinesis record, the first included (default 20: with the default backoff, about 10 s of retrying, as the KPL's 30 s record TTL intends). */
  readonly maxAttempts?: number;
  /** Full-jitter backoff between attempts (default 100 ms base, 1 s cap: a shard's write budget comes back every second). */
  readonly backoff?: BackoffOptions;
  /** Waits between attempts; injected in tests and simulations. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly clock?: ProducerClock;
  /** A map already loaded; else loaded with `ListShards` on the first aggregated `put`. */
  readonly shardMap?: ShardMap;
  /** Partition key of a `put` without one (default: {@link randomPartitionKey}). */
  readonly defaultPartitionKey?: () => string;
  /** Called for every user record that could not be written (as it is added to the report). */
  readonly onFailure?: (failure: ProducerFailure) => void;
  /** Failures kept in the report (default 100,000); the rest are only counted (and passed to `onFailure`). */
  readonly maxFailuresInReport?: number;
}

/** The options with defaults applied. */
export interface ResolvedProducerOptions {
  readonly aggregate: boolean;
  readonly aggregationMaxBytes: number;
  readonly aggregationMaxCount: number;
  readonly maxBufferedTimeMs: number;
  readonly maxBufferedRecords: number;
  readonly maxBufferedBytes: number;
  readonly maxRecordsPerRequest: number;
  readonly maxBytesPerRequest: number;
  readonly maxRecordBytes: number;
  readonly maxConcurrentRequests: number;
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
  readonly maxFailuresInReport: number;
}

export const MIB = 1024 * 1024;

export const PRODUCER_DEFAULTS: ResolvedProducerOptions = {
  aggregate: true,
  aggregationMaxBytes: 51_200,
  aggregationMaxCount: 4_294_967_295,
  maxBufferedTimeMs: 100,
  maxBufferedRecords: 200_000,
  maxBufferedBytes: 64 * MIB,
  maxRecordsPerRequest: 500,
  maxBytesPerRequest: 5 * MIB,
  maxRecordBytes: MIB,
  maxConcurrentRequests: 4,
  maxAttempts: 20,
  backoff: { baseMs: 100, capMs: 1_000 },
  maxFailuresInReport: 100_000,
};

/** A setting out of range. */
export class ProducerConfigError extends Error {
  override readonly name = 'ProducerConfigError';
}

export function resolveOptions(options: KinesisProducerOptions): ResolvedProducerOptions {
  // Each setting given (not undefined) replaces its default; the client, clock etc. are not settings.
  const given = Object.fromEntries(Object.entries(options).filter(([key, value]) => value !== undefined && Object.hasOwn(PRODUCER_DEFAULTS, key)));
  const resolved: ResolvedProducerOptions = { ...PRODUCER_DEFAULTS, ...given };
  const positive: (keyof ResolvedProducerOptions)[] = [
    'aggregationMaxBytes', 'aggregationMaxCount', 'maxBufferedRecords', 'maxBufferedBytes', 'maxRecordsPerRequest',
    'maxBytesPerRequest', 'maxRecordBytes', 'maxConcurrentRequests', 'maxAttempts',
  ];
  for (const key of positive) {
    const value = resolved[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new ProducerConfigError(`${key} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  if (!(resolved.maxBufferedTimeMs >= 0)) throw new ProducerConfigError(`maxBufferedTimeMs must be ≥ 0, got ${resolved.maxBufferedTimeMs}`);
  if (resolved.maxRecordBytes > resolved.maxBytesPerRequest) throw new ProducerConfigError('maxRecordBytes must not exceed maxBytesPerRequest');
  if (resolved.maxFailuresInReport < 0) throw new ProducerConfigError('maxFailuresInReport must be ≥ 0');
  return resolved;
}

/**
 * A local Kinesis event source mapping with Lambda's semantics: every shard polled on its own and
 * in order (children after their parents, read from their start), batches by `batchSize`, the
 * batching window and the 6 MB invocation payload limit, the exact Kinesis event,
 * `ReportBatchItemFailures` checkpoints, bisection on error, bounded retries and record age,
 * per-partition-key lanes for `parallelizationFactor`, and the on-failure destination message
 * AWS sends to SQS (batch info, not the records).
 * @see https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
 */
import { randomUUID } from 'node:crypto';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { GetRecordsCommandOutput, GetShardIteratorCommandInput, KinesisClient, Shard, _Record } from '@aws-sdk/client-kinesis';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { kinesisBatchOutcome } from './kinesis-batch-outcome';
import { fittingCount, isFullBatch } from './batch-payload';
import { abortableSleep } from '../../aws/backoff';
export { MAX_INVOCATION_PAYLOAD_BYTES } from './batch-payload';

/** A Kinesis event source mapping's settings, as in `CreateEventSourceMapping`. */
export interface KinesisMappingConfig {
  readonly functionArn: string;
  readonly streamName: string;
  readonly streamArn: string;
  /** The event's `awsRegion`; default: the region of `streamArn`. */
  readonly region?: string;
  /** 1–10,000 (default 100). */
  readonly batchSize?: number;
  /** 0–300 (default 0): how long to gather records before invoking with a batch that is not full. */
  readonly maximumBatchingWindowInSeconds?: number;
  /** Where to start reading the shards that exist at the first poll (default TRIM_HORIZON); shards created later are read from their start. */
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** 1–10 (default 1): concurrent batches per shard, order kept per partition key. */
  readonly parallelizationFactor?: number;
  readonly bisectBatchOnFunctionError?: boolean;
  /** −1 (default) retries until the records expire, or 0–10,000. */
  readonly maximumRetryAttempts?: number;
  /** −1 (default) or 60–604,800. */
  readonly maximumRecordAgeInSeconds?: number;
  readonly reportBatchItemFailures?: boolean;
  /** The on-failure destination queue's URL and ARN. */
  readonly onFailure?: { readonly queueUrl: string; readonly queueArn: string };
  /** The clock record ages are measured with, in ms since the epoch (default `Date.now`); lets tests age records. */
  readonly now?: () => number;
}

/** Calls the function with an event; a rejection is a function error. */
export type Invoker = (functionArn: string, event: KinesisStreamEvent) => Promise<unknown>;

/** Counters of a mapping since it was made. */
export interface KinesisMappingStats {
  invocations: number;
  failedInvocations: number;
  /** Records the function finished with (success or reported as handled). */
  recordsProcessed: number;
  /** Records skipped after retries or age, reported to the on-failure destination. */
  recordsDiscarded: number;
  discardedBatches: number;
}

/** A setting out of the range AWS accepts for it. */
export class KinesisMappingConfigError extends Error {
  override readonly name = 'KinesisMappingConfigError';

  constructor(readonly setting: keyof KinesisMappingConfig, message: string) {
    super(`${setting}: ${message}`);
  }
}


type Condition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** A record read from a shard: its entry of the Lambda event and that entry's size in the event's JSON. */
interface ShardRecord {
  readonly sequenceNumber: string;
  readonly arrivalMs: number | undefined;
  readonly entry: KinesisStreamRecord;
  readonly bytes: number;
}

/** GetRecords returns at most this many records a call. */
const GET_RECORDS_MAX = 10_000;

const hash = (key: string): number => {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return Math.abs(h);
};

const isExpiredIterator = (error: unknown): boolean => error instanceof Error && error.name === 'ExpiredIteratorException';

type NumericSetting = 'batchSize' | 'maximumBatchingWindowInSeconds' | 'parallelizationFactor' | 'maximumRetryAttempts' | 'maximumRecordAgeInSeconds';

function checkRange(config: KinesisMappingConfig, setting: NumericSetting, min: number, max: number, orMinusOne = false): void {
  const value = config[setting];
  if (value === undefined) return;
  if (!Number.isInteger(value) || ((value < min || value > max) && !(orMinusOne && value === -1))) {
    throw new KinesisMappingConfigError(setting, `${String(value)} is not ${orMinusOne ? '-1 or ' : ''}an integer from ${min} to ${max}`);
  }
}

/**
 * Runs a Kinesis event source mapping against a Kinesis endpoint (kinesalite or AWS): `drain()`
 * delivers what the stream holds now, `run()` follows it until `stop()`.
 */
export class KinesisEventSource {
  readonly stats: KinesisMappingStats = { invocations: 0, failedInvocations: 0, recordsProcessed: 0, recordsDiscarded: 0, discardedBatches: 0 };
  private readonly finishedShards = new Set<string>();
  /** Where each shard's reading goes on; dropped when it ends or expires. */
  private readonly iterators = new Map<string, string>();
  /** The last sequence number read from each shard, to get a fresh iterator after that one. */
  private readonly positions = new Map<string, string>();
  /** Shards of the first listing, read from `startingPosition`; undefined before the first poll. */
  private initialShards: ReadonlySet<string> | undefined;
  private readonly sessions = new Set<AbortController>();
  private readonly clock: () => number;
  private stopped = false;

  /** @throws {KinesisMappingConfigError} for a setting out of AWS's range. */
  constructor(
    readonly config: KinesisMappingConfig,
    private readonly kinesis: KinesisClient,
    private readonly sqs: SQSClient | undefined,
    private readonly invoke: Invoker,
  ) {
    checkRange(config, 'batchSize', 1, 10_000);
    checkRange(config, 'maximumBatchingWindowInSeconds', 0, 300);
    checkRange(config, 'parallelizationFactor', 1, 10);
    checkRange(config, 'maximumRetryAttempts', 0, 10_000, true);
    checkRange(config, 'maximumRecordAgeInSeconds', 60, 604_800, true);
    this.clock = config.now ?? Date.now;
  }

  /**
   * Reads every shard until it has no more records right now (closed shards to their end, then
   * their children), invoking the function batch by batch; shards run concurrently, each in order.
   * A batch still inside its batching window is waited for. Call it again to pick up records
   * written since; `run()` follows the stream instead. Resolves early after `stop()`.
   * @throws the first error reading the stream (the other shards are stopped first).
   */
  async drain(): Promise<void> {
    await this.work(false, 200);
  }

  /** Follows every shard until `stop()`, polling a shard that has nothing new every `pollMs`. */
  async run(pollMs = 200): Promise<void> {
    await this.work(true, pollMs);
  }

  /** Stops polling and retrying: `drain()` and `run()` resolve soon after; records not finished are not discarded. */
  stop(): void {
    this.stopped = true;
    for (const session of this.sessions) session.abort();
  }

  /** One worker per ready shard; a shard that ends starts its children's workers. */
  private async work(follow: boolean, pollMs: number): Promise<void> {
    if (this.stopped) return;
    const session = new AbortController();
    this.sessions.add(session);
    const workers = new Map<string, Promise<void>>();
    const failures: unknown[] = [];
    const fail = (error: unknown): void => {
      failures.push(error);
      session.abort();
    };
    const spawn = async (): Promise<void> => {
      if (session.signal.aborted) return;
      for (const shard of await this.readyShards()) {
        const id = shard.ShardId!;
        if (workers.has(id)) continue;
        workers.set(id, this.drainShard(shard, follow, pollMs, session.signal).then((ended) => (ended ? spawn() : undefined)).catch(fail));
      }
    };
    try {
      await spawn();
      // Workers spawn their children before they resolve: wait until no new ones appear.
      for (let settled = -1; settled !== workers.size; ) {
        const current = [...workers.values()];
        await Promise.all(current);
        settled = current.length;
      }
    } finally {
      this.sessions.delete(session);
    }
    if (failures.length > 0) throw failures[0];
  }

  /** Open shards, and closed ones not read to the end, whose parents are done. */
  private async readyShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      const page = await this.kinesis.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: this.config.streamName }));
      shards.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token);
    if (!this.initialShards) {
      this.initialShards = new Set(shards.map((s) => s.ShardId!));
      // The mapping's position is fixed at its first poll on every shard, not when a shard's turn comes.
      if (this.config.startingPosition === 'LATEST') {
        await Promise.all(shards.map(async (s) => this.iterators.set(s.ShardId!, await this.startIterator(s.ShardId!))));
      }
    }
    const known = new Set(shards.map((s) => s.ShardId!));
    const parentDone = (id: string | undefined): boolean => !id || !known.has(id) || this.finishedShards.has(id);
    return shards.filter((s) => !this.finishedShards.has(s.ShardId!) && parentDone(s.ParentShardId) && parentDone(s.AdjacentParentShardId));
  }

  /**
   * Reads a shard and invokes the function with its batches until the shard has nothing more right
   * now (or, when following, until stopped); true if the shard was read to its end.
   */
  private async drainShard(shard: Shard, follow: boolean, pollMs: number, signal: AbortSignal): Promise<boolean> {
    const shardId = shard.ShardId!;
    const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
    const batchSize = this.config.batchSize ?? 100;
    const windowMs = (this.config.maximumBatchingWindowInSeconds ?? 0) * 1000;
    let pending: ShardRecord[] = [];
    let windowStart = 0;
    while (!signal.aborted) {
      const page = await this.getRecords(shardId, Math.max(1, Math.min(GET_RECORDS_MAX, batchSize - pending.length)));
      const records = (page.Records ?? []).map((r) => this.shardRecord(shardId, r));
      if (records.length > 0) {
        if (pending.length === 0) windowStart = Date.now();
        pending.push(...records);
        this.positions.set(shardId, records[records.length - 1]!.sequenceNumber);
      }
      const ended = !page.NextShardIterator;
      // An empty page is not the end of what is there: a closed shard goes on to its end, an open
      // one as long as GetRecords says it is behind.
      const caughtUp = records.length === 0 && !closed && !((page.MillisBehindLatest ?? 0) > 0);
      while (pending.length > 0 && (ended || Date.now() - windowStart >= windowMs || isFullBatch(pending, batchSize))) {
        const count = fittingCount(pending, batchSize);
        await this.processBatch(shardId, pending.slice(0, count), signal);
        if (signal.aborted) return false;
        pending = pending.slice(count);
      }
      if (ended) {
        this.finishedShards.add(shardId);
        this.iterators.delete(shardId);
        return true;
      }
      this.iterators.set(shardId, page.NextShardIterator!);
      if (caughtUp) {
        if (pending.length > 0) await abortableSleep(Math.min(pollMs, windowStart + windowMs - Date.now()), signal);
        else if (follow) await abortableSleep(pollMs, signal);
        else return false;
      }
    }
    return false;
  }

  /** GetRecords on the shard's iterator, taking a fresh one after the last record read if it expired. */
  private async getRecords(shardId: string, limit: number): Promise<GetRecordsCommandOutput> {
    const iterator = this.iterators.get(shardId) ?? (await this.startIterator(shardId));
    try {
      return await this.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }));
    } catch (error) {
      if (!isExpiredIterator(error)) throw error;
      this.iterators.delete(shardId);
      return this.kinesis.send(new GetRecordsCommand({ ShardIterator: await this.startIterator(shardId), Limit: limit }));
    }
  }

  /** After the last record read; else the starting position for a shard of the first poll, its start for a newer one. */
  private async startIterator(shardId: string): Promise<string> {
    const after = this.positions.get(shardId);
    const position: Pick<GetShardIteratorCommandInput, 'ShardIteratorType' | 'StartingSequenceNumber'> = after
      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }
      : { ShardIteratorType: this.initialShards?.has(shardId) !== false ? (this.config.startingPosition ?? 'TRIM_HORIZON') : 'TRIM_HORIZON' };
    const out = await this.kinesis.send(new GetShardIteratorCommand({ StreamName: this.config.streamName, ShardId: shardId, ...position }));
    return out.ShardIterator!;
  }

  /** One batch from a shard: lanes by partition key when parallelised, each lane in order. */
  private async processBatch(shardId: string, records: readonly ShardRecord[], signal: AbortSignal): Promise<void> {
    const lanes = this.config.parallelizationFactor ?? 1;
    if (lanes === 1) return this.handle(shardId, records, 0, signal);
    const byLane: ShardRecord[][] = Array.from({ length: lanes }, () => []);
    for (const record of records) byLane[hash(record.entry.kinesis.partitionKey) % lanes]!.push(record);
    await Promise.all(byLane.filter((lane) => lane.length > 0).map((lane) => this.handle(shardId, lane, 0, signal)));
  }

  /** Invokes until the batch succeeds or is discarded; `attempts` counts its failed invocations so far. */
  private async handle(shardId: string, initial: readonly ShardRecord[], initialAttempts: number, signal: AbortSignal): Promise<void> {
    let batch = initial;
    let attempts = initialAttempts;
    const maxRetries = this.config.maximumRetryAttempts ?? -1;
    const maxAgeMs = (this.config.maximumRecordAgeInSeconds ?? -1) * 1000;
    while (batch.length > 0) {
      if (attempts > 0) await abortableSleep(Math.min(1000, 10 * 2 ** Math.min(attempts, 7)), signal);
      // Unbounded retries (AWS's default) end here only when the mapping is stopped.
      if (signal.aborted) return;
      if (maxAgeMs > 0) {
        const now = this.clock();
        const expired = batch.filter((r) => r.arrivalMs !== undefined && now - r.arrivalMs > maxAgeMs);
        if (expired.length > 0) {
          await this.discard(shardId, expired, 'RecordAgeExceeded', attempts);
          batch = batch.filter((r) => !expired.includes(r));
          continue;
        }
      }
      this.stats.invocations++;
      let outcome: ReturnType<typeof kinesisBatchOutcome>;
      try {
        const response = await this.invoke(this.config.functionArn, { Records: batch.map((r) => r.entry) });
        outcome = kinesisBatchOutcome(batch.map((r) => r.sequenceNumber), response, this.config.reportBatchItemFailures ?? false);
      } catch (error) {
        outcome = { kind: 'failure', reason: error instanceof Error ? error.message : String(error) };
      }
      if (outcome.kind === 'success') {
        this.stats.recordsProcessed += batch.length;
        return;
      }
      this.stats.failedInvocations++;
      attempts++;
      if (outcome.kind === 'partial') {
        // Checkpoint: everything before the lowest failed record is done.
        this.stats.recordsProcessed += outcome.retryFrom;
        batch = batch.slice(outcome.retryFrom);
      }
      // A split starts each half's retry count afresh: bisection always gets down to the one
      // record that fails before the retry limit decides anything, and it ends by itself since
      // every split halves the batch.
      if (this.config.bisectBatchOnFunctionError && outcome.kind === 'failure' && batch.length > 1) {
        const middle = Math.ceil(batch.length / 2);
        await this.handle(shardId, batch.slice(0, middle), 0, signal);
        await this.handle(shardId, batch.slice(middle), 0, signal);
        return;
      }
      if (maxRetries >= 0 && attempts > maxRetries) {
        await this.discard(shardId, batch, 'RetryAttemptsExhausted', attempts);
        return;
      }
    }
  }

  /** A record as Lambda puts it in the event (key order as AWS sends it). */
  private shardRecord(shardId: string, r: _Record): ShardRecord {
    const arn = this.config.streamArn.split(':');
    const arrivalMs = r.ApproximateArrivalTimestamp?.getTime();
    const entry: KinesisStreamRecord = {
      kinesis: {
        kinesisSchemaVersion: '1.0', partitionKey: r.PartitionKey!, sequenceNumber: r.SequenceNumber!,
        data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
        approximateArrivalTimestamp: (arrivalMs ?? Date.now()) / 1000,
      },
      eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `${shardId}:${r.SequenceNumber!}`, eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${this.config.functionArn.split(':')[4] || '000000000000'}:role/local-esm`,
      awsRegion: this.config.region ?? (arn[3] || 'eu-west-1'), eventSourceARN: this.config.streamArn,
    };
    return { sequenceNumber: r.SequenceNumber!, arrivalMs, entry, bytes: Buffer.byteLength(JSON.stringify(entry)) };
  }

  /** Skips records, telling the on-failure destination what was skipped (AWS sends batch info only). */
  private async discard(shardId: string, batch: readonly ShardRecord[], condition: Condition, attempts: number): Promise<void> {
    this.stats.recordsDiscarded += batch.length;
    this.stats.discardedBatches++;
    const destination = this.config.onFailure;
    if (!destination || !this.sqs) return;
    const first = batch[0]!;
    const last = batch[batch.length - 1]!;
    const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
    const message = {
      requestContext: { requestId: randomUUID(), functionArn: this.config.functionArn, condition, approximateInvokeCount: attempts },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: {
        shardId, startSequenceNumber: first.sequenceNumber, endSequenceNumber: last.sequenceNumber,
        approximateArrivalOfFirstRecord: iso(first.arrivalMs),
        approximateArrivalOfLastRecord: iso(last.arrivalMs),
        batchSize: batch.length, streamArn: this.config.streamArn,
      },
    };
    await this.sqs.send(new SendMessageCommand({ QueueUrl: destination.queueUrl, MessageBody: JSON.stringify(message) }));
  }
}

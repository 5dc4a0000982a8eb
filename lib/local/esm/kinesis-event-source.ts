/**
 * A local Kinesis event source mapping with Lambda's semantics: each shard polled in order
 * (children after their parents), batches by `batchSize` and batching window, the exact
 * Kinesis event, `ReportBatchItemFailures` checkpoints, bisection on error, bounded retries and
 * record age, per-partition-key lanes for `parallelizationFactor`, and the on-failure
 * destination message AWS sends to SQS (batch info, not the records).
 * @see https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
 */
import { randomUUID } from 'node:crypto';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisClient, Shard, _Record } from '@aws-sdk/client-kinesis';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { kinesisBatchOutcome } from './kinesis-batch-outcome';

export interface KinesisMappingConfig {
  readonly functionArn: string;
  readonly streamName: string;
  readonly streamArn: string;
  readonly region?: string;
  /** 1–10,000 (default 100). */
  readonly batchSize?: number;
  readonly maximumBatchingWindowInSeconds?: number;
  readonly startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** 1–10 (default 1): concurrent batches per shard, order kept per partition key. */
  readonly parallelizationFactor?: number;
  readonly bisectBatchOnFunctionError?: boolean;
  /** −1 (default) retries until the records expire. */
  readonly maximumRetryAttempts?: number;
  /** −1 (default) or 60–604,800. */
  readonly maximumRecordAgeInSeconds?: number;
  readonly reportBatchItemFailures?: boolean;
  /** The on-failure destination queue's URL and ARN. */
  readonly onFailure?: { readonly queueUrl: string; readonly queueArn: string };
}

export type Invoker = (functionArn: string, event: KinesisStreamEvent) => Promise<unknown>;

export interface KinesisMappingStats {
  invocations: number;
  failedInvocations: number;
  /** Records the function finished with (success or reported as handled). */
  recordsProcessed: number;
  /** Records skipped after retries or age, reported to the on-failure destination. */
  recordsDiscarded: number;
  discardedBatches: number;
}

type Condition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

const hash = (key: string): number => {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return Math.abs(h);
};

export class KinesisEventSource {
  readonly stats: KinesisMappingStats = { invocations: 0, failedInvocations: 0, recordsProcessed: 0, recordsDiscarded: 0, discardedBatches: 0 };
  private readonly finishedShards = new Set<string>();
  private readonly iterators = new Map<string, string>();
  private stopped = false;

  constructor(
    readonly config: KinesisMappingConfig,
    private readonly kinesis: KinesisClient,
    private readonly sqs: SQSClient | undefined,
    private readonly invoke: Invoker,
  ) {}

  /**
   * Reads every shard until it has no more records right now (closed shards to their end,
   * then their children), invoking the function batch by batch. Call it again to pick up
   * records written since; `run()` does so until `stop()`.
   */
  async drain(): Promise<void> {
    for (;;) {
      const shards = await this.readyShards();
      let progressed = false;
      for (const shard of shards) progressed = (await this.drainShard(shard)) || progressed;
      if (!progressed) return;
    }
  }

  /** Polls until `stop()`, once every `pollMs`. */
  async run(pollMs = 200): Promise<void> {
    while (!this.stopped) {
      await this.drain();
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  stop(): void {
    this.stopped = true;
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
    const known = new Set(shards.map((s) => s.ShardId!));
    const parentDone = (id: string | undefined): boolean => !id || !known.has(id) || this.finishedShards.has(id);
    return shards.filter((s) => !this.finishedShards.has(s.ShardId!) && parentDone(s.ParentShardId) && parentDone(s.AdjacentParentShardId));
  }

  /** Processes a shard's available records; true if it read anything or finished the shard. */
  private async drainShard(shard: Shard): Promise<boolean> {
    const shardId = shard.ShardId!;
    let iterator = this.iterators.get(shardId) ?? (await this.initialIterator(shardId));
    const batchSize = this.config.batchSize ?? 100;
    const windowMs = (this.config.maximumBatchingWindowInSeconds ?? 0) * 1000;
    let progressed = false;
    let pending: _Record[] = [];
    let windowStart = Date.now();
    for (;;) {
      const page = await this.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize - pending.length }));
      pending.push(...(page.Records ?? []));
      const next = page.NextShardIterator;
      const caughtUp = (page.Records ?? []).length === 0;
      const full = pending.length >= batchSize;
      // Invoke when the batch is full, the window has passed, or the shard has nothing more now.
      if (pending.length > 0 && (full || !next || caughtUp || Date.now() - windowStart >= windowMs)) {
        await this.processBatch(shardId, pending);
        progressed = true;
        pending = [];
        windowStart = Date.now();
      }
      if (!next) {
        this.finishedShards.add(shardId);
        this.iterators.delete(shardId);
        return true;
      }
      iterator = next;
      this.iterators.set(shardId, iterator);
      if (caughtUp && pending.length === 0) return progressed;
    }
  }

  private async initialIterator(shardId: string): Promise<string> {
    const out = await this.kinesis.send(new GetShardIteratorCommand({
      StreamName: this.config.streamName, ShardId: shardId, ShardIteratorType: this.config.startingPosition ?? 'TRIM_HORIZON',
    }));
    return out.ShardIterator!;
  }

  /** One batch from a shard: lanes by partition key when parallelised, each lane in order. */
  private async processBatch(shardId: string, records: readonly _Record[]): Promise<void> {
    const lanes = Math.max(1, Math.min(10, this.config.parallelizationFactor ?? 1));
    if (lanes === 1) return this.handle(shardId, records, 0);
    const byLane: _Record[][] = Array.from({ length: lanes }, () => []);
    for (const record of records) byLane[hash(record.PartitionKey ?? '') % lanes]!.push(record);
    await Promise.all(byLane.filter((lane) => lane.length > 0).map((lane) => this.handle(shardId, lane, 0)));
  }

  /** Invokes until the batch succeeds or is discarded; `attempts` counts its failed invocations so far. */
  private async handle(shardId: string, initial: readonly _Record[], initialAttempts: number): Promise<void> {
    let batch = initial;
    let attempts = initialAttempts;
    const maxRetries = this.config.maximumRetryAttempts ?? -1;
    const maxAgeMs = (this.config.maximumRecordAgeInSeconds ?? -1) * 1000;
    while (batch.length > 0) {
      // Unbounded retries (AWS's default) end here only when the mapping is stopped.
      if (this.stopped) return;
      if (attempts > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 10 * 2 ** Math.min(attempts, 7))));
      if (maxAgeMs > 0) {
        const now = Date.now();
        const expired = batch.filter((r) => now - (r.ApproximateArrivalTimestamp?.getTime() ?? now) > maxAgeMs);
        if (expired.length > 0) {
          await this.discard(shardId, expired, 'RecordAgeExceeded', attempts);
          batch = batch.filter((r) => !expired.includes(r));
          continue;
        }
      }
      const event = this.event(shardId, batch);
      this.stats.invocations++;
      let outcome: ReturnType<typeof kinesisBatchOutcome>;
      try {
        outcome = kinesisBatchOutcome(batch.map((r) => r.SequenceNumber!), await this.invoke(this.config.functionArn, event), this.config.reportBatchItemFailures ?? false);
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
        await this.handle(shardId, batch.slice(0, middle), 0);
        await this.handle(shardId, batch.slice(middle), 0);
        return;
      }
      if (maxRetries >= 0 && attempts > maxRetries) {
        await this.discard(shardId, batch, 'RetryAttemptsExhausted', attempts);
        return;
      }
    }
  }

  private event(shardId: string, batch: readonly _Record[]): KinesisStreamEvent {
    const region = this.config.region ?? 'eu-west-1';
    return {
      Records: batch.map((r): KinesisStreamRecord => ({
        kinesis: {
          kinesisSchemaVersion: '1.0', partitionKey: r.PartitionKey!, sequenceNumber: r.SequenceNumber!,
          data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
          approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
        },
        eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `${shardId}:${r.SequenceNumber!}`, eventName: 'aws:kinesis:record',
        invokeIdentityArn: `arn:aws:iam::000000000000:role/local-esm`, awsRegion: region, eventSourceARN: this.config.streamArn,
      })),
    };
  }

  /** Skips records, telling the on-failure destination what was skipped (AWS sends batch info only). */
  private async discard(shardId: string, batch: readonly _Record[], condition: Condition, attempts: number): Promise<void> {
    this.stats.recordsDiscarded += batch.length;
    this.stats.discardedBatches++;
    const destination = this.config.onFailure;
    if (!destination || !this.sqs) return;
    const first = batch[0]!;
    const last = batch[batch.length - 1]!;
    const message = {
      requestContext: { requestId: randomUUID(), functionArn: this.config.functionArn, condition, approximateInvokeCount: attempts },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: {
        shardId, startSequenceNumber: first.SequenceNumber, endSequenceNumber: last.SequenceNumber,
        approximateArrivalOfFirstRecord: first.ApproximateArrivalTimestamp?.toISOString(),
        approximateArrivalOfLastRecord: last.ApproximateArrivalTimestamp?.toISOString(),
        batchSize: batch.length, streamArn: this.config.streamArn,
      },
    };
    await this.sqs.send(new SendMessageCommand({ QueueUrl: destination.queueUrl, MessageBody: JSON.stringify(message) }));
  }
}

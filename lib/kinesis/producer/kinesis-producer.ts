/**
 * A KPL-like producer for Kinesis Data Streams: buffers user records (bounded), aggregates them
 * per target shard, packs `PutRecords` requests within the limits, resends only failed entries
 * with backoff, and reports what landed where and what could not be written.
 *
 * Flushes: a request goes out as soon as the buffer holds a full one; everything buffered goes out
 * once the oldest buffered user record has waited `maxBufferedTimeMs`, on `flush()`, and when a
 * `put` has to wait for room.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { sleep } from '../../aws/backoff';
import { effectiveHashKey, explicitHashKeyProblem, partitionKeyProblem } from '../hash-key';
import { ShardMap, type StreamRef } from '../shard-map';
import { SYSTEM_CLOCK, resolveOptions, type KinesisProducerOptions, type ProducerClock, type ResolvedProducerOptions } from './options';
import { randomPartitionKey } from './partition-keys';
import { putRecordsWithRetry } from './put-records';
import { plainRecord, type BufferedUserRecord, type OutgoingRecord } from './records';
import { RejectionCode, ReportBuilder, type ProducerReport } from './report';
import { ShardAggregator } from './shard-aggregator';

/** `put` after `close()`. */
export class ProducerClosedError extends Error {
  override readonly name = 'ProducerClosedError';
  constructor() {
    super('the producer is closed');
  }
}

/** Keys of one user record; without a partition key, `defaultPartitionKey` gives one (random by default). */
export interface PutOptions {
  readonly partitionKey?: string;
  readonly explicitHashKey?: string;
}

interface Waiter {
  readonly bytes: number;
  readonly resolve: () => void;
}

const asBuffer = (data: Uint8Array | string): Buffer =>
  typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

export class KinesisProducer {
  private readonly client: KinesisClient;
  private readonly stream: StreamRef;
  private readonly settings: ResolvedProducerOptions;
  private readonly clock: ProducerClock;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly defaultPartitionKey: () => string;
  private readonly report: ReportBuilder;
  private readonly aggregator: ShardAggregator;
  private shardMap: ShardMap | undefined;
  private shardMapLoading: Promise<ShardMap> | undefined;

  /** Kinesis records ready to send, in order; the first `forced` go out even as a partial request. */
  private ready: OutgoingRecord[] = [];
  private readyBytes = 0;
  private forced = 0;
  private timer: unknown;
  /** Requests holding a slot: sending, or waiting for a slot after a backoff (those go first). */
  private inFlight = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly requests = new Set<Promise<void>>();

  /** User records accepted and not yet written or failed, and their bytes (the backpressure bound). */
  private heldRecords = 0;
  private heldBytes = 0;
  private readonly roomWaiters: Waiter[] = [];
  private readonly puts = new Set<Promise<void>>();

  /** Flush bookkeeping: ids below `lowestUnsettled` are all settled; `settledAbove` holds the others settled. */
  private nextId = 0;
  private lowestUnsettled = 0;
  private readonly settledAbove = new Set<number>();
  private readonly flushWaiters: { readonly mark: number; readonly resolve: () => void }[] = [];
  private closed = false;

  constructor(options: KinesisProducerOptions) {
    this.settings = resolveOptions(options);
    this.client = options.client;
    this.stream = { streamName: options.streamName, streamArn: options.streamArn };
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.sleep = options.sleep ?? sleep;
    this.defaultPartitionKey = options.defaultPartitionKey ?? (() => randomPartitionKey());
    this.report = new ReportBuilder(this.settings.maxFailuresInReport, options.onFailure);
    this.shardMap = options.shardMap;
    this.aggregator = new ShardAggregator(this.settings, (record) => this.enqueue(record));
  }

  /**
   * Buffers one user record. Resolves once it is buffered, after waiting for room when the buffer
   * is full (await it: that is the backpressure). The producer keeps a reference to `data` (no
   * copy) until the record is written or failed: do not change it meanwhile. A record with an invalid key or over the size
   * limit is not thrown: it goes straight to the report's failures with a {@link RejectionCode}.
   *
   * @throws {ProducerClosedError} after `close()`.
   * @throws the `ListShards` error when the shard map, needed for aggregation, cannot be loaded.
   */
  put(data: Uint8Array | string, options: PutOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new ProducerClosedError());
    const promise = this.accept(asBuffer(data), options).finally(() => this.puts.delete(promise));
    this.puts.add(promise);
    return promise;
  }

  /** Sends everything buffered and resolves when every record put before the call is written or failed. */
  flush(): Promise<void> {
    const mark = this.nextId;
    this.flushBuffer();
    if (this.lowestUnsettled >= mark) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push({ mark, resolve }));
  }

  /** Refuses further puts, waits for those under way, flushes, and returns the final report. */
  async close(): Promise<ProducerReport> {
    this.closed = true;
    do {
      await Promise.allSettled([...this.puts]);
      await this.flush();
    } while (this.puts.size > 0 || this.heldRecords > 0);
    await Promise.allSettled([...this.requests]);
    this.clearTimer();
    return this.report.build();
  }

  /** The report so far (failures included); `close()` returns the final one. */
  snapshot(): ProducerReport {
    return this.report.build();
  }

  /** User records and bytes held (buffered, in flight or being retried). */
  get held(): { readonly records: number; readonly bytes: number } {
    return { records: this.heldRecords, bytes: this.heldBytes };
  }

  private async accept(data: Buffer, options: PutOptions): Promise<void> {
    this.report.userRecordsPut++;
    const partitionKey = options.partitionKey ?? this.defaultPartitionKey();
    const { explicitHashKey } = options;
    const keyProblem = partitionKeyProblem(partitionKey);
    if (keyProblem) return this.reject(data, partitionKey, explicitHashKey, RejectionCode.InvalidPartitionKey, keyProblem);
    const hashKeyProblem = explicitHashKey === undefined ? undefined : explicitHashKeyProblem(explicitHashKey);
    if (hashKeyProblem) return this.reject(data, partitionKey, explicitHashKey, RejectionCode.InvalidExplicitHashKey, hashKeyProblem);
    const partitionKeyBytes = Buffer.byteLength(partitionKey, 'utf8');
    const bytes = data.length + partitionKeyBytes;
    if (bytes > this.settings.maxRecordBytes) {
      return this.reject(data, partitionKey, explicitHashKey, RejectionCode.RecordTooLarge, `data + partition key of ${bytes} bytes exceed the record limit of ${this.settings.maxRecordBytes}`);
    }
    const shardMap = this.settings.aggregate ? await this.loadShardMap() : undefined;
    await this.reserve(bytes);
    const user: BufferedUserRecord = { id: this.nextId++, data, partitionKey, explicitHashKey, partitionKeyBytes };
    if (this.timer === undefined) this.timer = this.clock.setTimeout(() => this.onDeadline(), this.settings.maxBufferedTimeMs);
    if (shardMap) {
      const hashKey = effectiveHashKey(partitionKey, explicitHashKey);
      const shard = shardMap.shardFor(hashKey);
      if (shard) this.aggregator.add(user, hashKey, shard.shardId);
      // A gap in the listing (never seen on a consistent stream): Kinesis places a plain record by itself.
      else this.enqueue(plainRecord(user));
    } else this.enqueue(plainRecord(user));
    this.pump();
  }

  private reject(data: Buffer, partitionKey: string, explicitHashKey: string | undefined, errorCode: RejectionCode, errorMessage: string): void {
    this.report.failed({ data, partitionKey: String(partitionKey), explicitHashKey, errorCode, errorMessage, attempts: 0 });
  }

  private loadShardMap(): Promise<ShardMap> | ShardMap {
    if (this.shardMap) return this.shardMap;
    this.shardMapLoading ??= ShardMap.load(this.client, this.stream).then(
      (map) => (this.shardMap = map),
      (error: unknown) => {
        this.shardMapLoading = undefined; // the next put tries again
        throw error;
      },
    );
    return this.shardMapLoading;
  }

  /** Waits until the record fits the buffer bounds (always admits into an empty buffer), in arrival order. */
  private reserve(bytes: number): Promise<void> | void {
    if (this.roomWaiters.length === 0 && this.hasRoom(bytes)) {
      this.hold(bytes);
      return;
    }
    // The buffer is full. Requests under way will make room as they settle; with none, only the
    // buffered records can: send them now rather than at the deadline (or never, if the bound is
    // below a full request).
    if (this.requests.size === 0) this.flushBuffer();
    return new Promise((resolve) => this.roomWaiters.push({ bytes, resolve }));
  }

  private hasRoom(bytes: number): boolean {
    return this.heldRecords === 0 || (this.heldRecords < this.settings.maxBufferedRecords && this.heldBytes + bytes <= this.settings.maxBufferedBytes);
  }

  private hold(bytes: number): void {
    this.heldRecords++;
    this.heldBytes += bytes;
  }

  private enqueue(record: OutgoingRecord): void {
    this.ready.push(record);
    this.readyBytes += record.bytes;
  }

  private onDeadline(): void {
    this.timer = undefined;
    this.flushBuffer();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Closes every aggregate and marks everything ready to go out, full requests or not. */
  private flushBuffer(): void {
    this.clearTimer();
    this.aggregator.closeAll();
    this.forced = this.ready.length;
    this.pump();
  }

  /** Starts requests while there is a free slot and a full (or forced) request to send. */
  private pump(): void {
    this.handOverSlots();
    while (this.inFlight < this.settings.maxConcurrentRequests) {
      const chunk = this.takeRequest();
      if (!chunk) break;
      this.inFlight++;
      const request = this.send(chunk).finally(() => {
        this.requests.delete(request);
        // A put still waiting for room, and nothing under way to make it: send the buffer now.
        if (this.requests.size === 0 && this.roomWaiters.length > 0) this.flushBuffer();
        this.releaseSlot();
      });
      this.requests.add(request);
    }
    // Nothing left waiting in the buffer: no deadline to keep.
    if (this.ready.length === 0 && this.aggregator.pending === 0) this.clearTimer();
  }

  /** Free slots go to retries waiting after their backoff before any new request. */
  private handOverSlots(): void {
    while (this.slotWaiters.length > 0 && this.inFlight < this.settings.maxConcurrentRequests) {
      this.inFlight++;
      this.slotWaiters.shift()!();
    }
  }

  private releaseSlot(): void {
    this.inFlight--;
    this.pump();
  }

  /**
   * The backoff between attempts, without holding a slot: while one request waits out its
   * throttling, others keep the shards busy (a shard's budget comes back every second).
   */
  private async backoff(ms: number): Promise<void> {
    this.releaseSlot();
    await this.sleep(ms);
    await new Promise<void>((resolve) => {
      this.slotWaiters.push(resolve);
      this.handOverSlots();
    });
  }

  /** The next request off the front of `ready`: only when full, or when its records are forced. */
  private takeRequest(): OutgoingRecord[] | undefined {
    const { maxRecordsPerRequest, maxBytesPerRequest } = this.settings;
    // A request is full when the ready records reach either limit (cheap: no scan per put).
    const full = this.ready.length >= maxRecordsPerRequest || this.readyBytes >= maxBytesPerRequest;
    if (!full && this.forced === 0) return undefined;
    let count = 0;
    let bytes = 0;
    const limit = full ? maxRecordsPerRequest : Math.min(maxRecordsPerRequest, this.forced);
    for (const record of this.ready) {
      if (count === limit || bytes + record.bytes > maxBytesPerRequest) break;
      count++;
      bytes += record.bytes;
    }
    if (count === 0) return undefined;
    const chunk = this.ready.splice(0, count);
    this.readyBytes -= bytes;
    this.forced = Math.max(0, this.forced - count);
    return chunk;
  }

  private async send(records: OutgoingRecord[]): Promise<void> {
    const failed = await putRecordsWithRetry(
      this.client,
      this.stream,
      records,
      { maxAttempts: this.settings.maxAttempts, backoff: this.settings.backoff, sleep: (ms) => this.backoff(ms) },
      this.report,
      (record, shardId) => this.written(record, shardId),
    );
    for (const { entry, errorCode, errorMessage } of failed) {
      for (const user of entry.userRecords) {
        this.report.failed({
          data: user.data,
          partitionKey: user.partitionKey,
          explicitHashKey: user.explicitHashKey,
          errorCode,
          errorMessage: errorMessage ?? '',
          attempts: entry.attempts,
        });
      }
      this.settle(entry.userRecords);
    }
  }

  private written(record: OutgoingRecord, shardId: string): void {
    const userBytes = record.userRecords.reduce((sum, user) => sum + user.data.length, 0);
    this.report.written(shardId, record.userRecords.length, userBytes, record.bytes);
    if (record.plannedShardId !== undefined && record.plannedShardId !== shardId) {
      this.report.shardMismatches++;
      this.refreshShardMap();
    }
    this.settle(record.userRecords);
  }

  /** The stream was resharded: list the shards again, and close aggregates bound for shards now closed. */
  private refreshShardMap(): void {
    const map = this.shardMap;
    if (!map) return;
    map.refresh().then(
      () => {
        this.report.shardMapRefreshes = map.refreshes;
        const open = new Set(map.shards.map((s) => s.shardId));
        this.aggregator.closeAll((shardId) => !open.has(shardId));
        this.pump();
      },
      // A failed refresh leaves the old map; the next mismatch tries again.
      () => undefined,
    );
  }

  private settle(users: readonly BufferedUserRecord[]): void {
    for (const user of users) {
      this.heldRecords--;
      this.heldBytes -= user.data.length + user.partitionKeyBytes;
      if (user.id === this.lowestUnsettled) {
        this.lowestUnsettled++;
        while (this.settledAbove.delete(this.lowestUnsettled)) this.lowestUnsettled++;
      } else this.settledAbove.add(user.id);
    }
    while (this.roomWaiters.length > 0 && this.hasRoom(this.roomWaiters[0]!.bytes)) {
      const waiter = this.roomWaiters.shift()!;
      this.hold(waiter.bytes);
      waiter.resolve();
    }
    for (let i = this.flushWaiters.length - 1; i >= 0; i--) {
      const waiter = this.flushWaiters[i]!;
      if (this.lowestUnsettled >= waiter.mark) {
        this.flushWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}

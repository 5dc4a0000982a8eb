/**
 * `SqsSender`: messages into one queue through `SendMessageBatch` — batches within SQS's count
 * and byte limits, retries of only the entries that failed with a server fault, FIFO order kept
 * per group under partial failure, bodies over the queue's limit offloaded to S3 the way the
 * Amazon SQS Extended Client does, and a report naming every message not sent.
 */
import { createHash } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { chunkByCountAndBytes } from '../../aws/chunk';
import type { BackoffOptions } from '../../aws/backoff';
import { ExtendedPayloadError, offloadIfLarge, type OffloadOptions } from '../extended-payload';
import { sendBatch, type BatchOutcome } from './batch-request';
import { forEachWithLimit } from './concurrency';
import { FifoSchedule } from './fifo-schedule';
import { readQueueSendLimits, SQS_MAX_BATCH_BYTES, SQS_MAX_BATCH_ENTRIES, SQS_MAX_MESSAGE_BYTES } from './limits';
import { messageSizeBytes } from './message-size';
import { localRefusal, SendFailureCode, type OutgoingMessage } from './outgoing-message';
import { failureOf, type PreparedMessage } from './prepared-message';
import type { SendFailure, SendReport, SentMessage } from './report';

/** Payload offloading for a sender: {@link OffloadOptions} with the threshold defaulting to the queue's limit. */
export type SenderOffloadOptions = Omit<OffloadOptions, 'thresholdBytes'> & {
  /** Offload above this many bytes (default: the sender's `maxMessageBytes`, i.e. only what the queue would refuse). */
  readonly thresholdBytes?: number;
};

/** Options of {@link SqsSender}. Limits default to SQS's. */
export interface SqsSenderOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** Default: the URL ends with `.fifo` (SQS requires the suffix). */
  readonly fifo?: boolean;
  /** The queue's `MaximumMessageSize` (default 1 MiB); {@link SqsSender.forQueue} reads it. */
  readonly maxMessageBytes?: number;
  /** Largest batch request, summed over its messages (default 1 MiB). */
  readonly maxBatchBytes?: number;
  /** Most entries per batch (default 10, SQS's maximum). */
  readonly maxBatchEntries?: number;
  /** `SendMessageBatch` requests in flight at once (default 4). On FIFO queues, never two for one group. */
  readonly maxConcurrentRequests?: number;
  /** Attempts per message, the first included (default 5). Throttling and 5xx are retried by the SDK within each. */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
  /** Waits between attempts; injected in tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * FIFO only. `'strict'` (default): one message per group per batch, so no failure can reorder a
   * group. `'grouped'`: up to a full batch per group (fewer requests when groups are few); a
   * message failing after a later one of its group was accepted is reported in `outOfOrderGroups`.
   */
  readonly fifoOrdering?: 'strict' | 'grouped';
  /** Offload large bodies to S3 (Extended Client format). Without it, oversized messages fail as `MessageTooLong`. */
  readonly payloadOffloading?: SenderOffloadOptions;
  /** S3 writes in flight at once while offloading (default 8). */
  readonly maxConcurrentUploads?: number;
  /** Called after each batch settles, with running totals. */
  readonly onProgress?: (progress: { readonly sent: number; readonly failed: number; readonly total: number }) => void;
}

/** Totals gathered while one `send` runs. */
class SendRun {
  readonly sent: SentMessage[] = [];
  readonly failed: SendFailure[] = [];
  readonly outOfOrderGroups = new Set<string>();
  requests = 0;
  retriedEntries = 0;
  offloaded = 0;

  constructor(readonly total: number, private readonly onProgress: SqsSenderOptions['onProgress']) {}

  add(outcome: BatchOutcome): void {
    this.sent.push(...outcome.sent);
    this.failed.push(...outcome.failed);
    this.requests += outcome.requests;
    this.retriedEntries += outcome.retriedEntries;
    this.onProgress?.({ sent: this.sent.length, failed: this.failed.length, total: this.total });
  }

  report(): SendReport {
    const byIndex = <T extends { index: number }>(a: T, b: T): number => a.index - b.index;
    return {
      messages: this.total,
      sent: this.sent.sort(byIndex),
      failed: this.failed.sort(byIndex),
      requests: this.requests,
      retriedEntries: this.retriedEntries,
      offloaded: this.offloaded,
      outOfOrderGroups: [...this.outOfOrderGroups],
    };
  }
}

/** SHA-256 of the body, hex: what SQS's content-based deduplication computes. */
const contentDeduplicationId = (body: string): string => createHash('sha256').update(body, 'utf8').digest('hex');

export class SqsSender {
  readonly queueUrl: string;
  readonly fifo: boolean;
  readonly maxMessageBytes: number;
  private readonly client: SQSClient;
  private readonly maxBatchBytes: number;
  private readonly maxBatchEntries: number;
  private readonly maxConcurrentRequests: number;
  private readonly maxAttempts: number;
  private readonly options: SqsSenderOptions;

  constructor(options: SqsSenderOptions) {
    this.options = options;
    this.client = options.client;
    this.queueUrl = options.queueUrl;
    this.fifo = options.fifo ?? options.queueUrl.endsWith('.fifo');
    this.maxBatchBytes = options.maxBatchBytes ?? SQS_MAX_BATCH_BYTES;
    this.maxMessageBytes = Math.min(options.maxMessageBytes ?? SQS_MAX_MESSAGE_BYTES, this.maxBatchBytes);
    this.maxBatchEntries = options.maxBatchEntries ?? SQS_MAX_BATCH_ENTRIES;
    this.maxConcurrentRequests = options.maxConcurrentRequests ?? 4;
    this.maxAttempts = options.maxAttempts ?? 5;
    if (!Number.isInteger(this.maxBatchEntries) || this.maxBatchEntries < 1 || this.maxBatchEntries > SQS_MAX_BATCH_ENTRIES) {
      throw new RangeError(`maxBatchEntries must be 1–${SQS_MAX_BATCH_ENTRIES}`);
    }
    if (!(this.maxMessageBytes >= 1)) throw new RangeError('maxMessageBytes must be positive');
    if (!Number.isInteger(this.maxConcurrentRequests) || this.maxConcurrentRequests < 1) throw new RangeError('maxConcurrentRequests must be a positive integer');
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) throw new RangeError('maxAttempts must be a positive integer');
  }

  /** A sender with the queue's own `MaximumMessageSize` and type, read with `GetQueueAttributes`. */
  static async forQueue(client: SQSClient, queueUrl: string, options: Omit<SqsSenderOptions, 'client' | 'queueUrl' | 'fifo' | 'maxMessageBytes'> = {}): Promise<SqsSender> {
    const limits = await readQueueSendLimits(client, queueUrl);
    return new SqsSender({ ...options, client, queueUrl, fifo: limits.fifo, maxMessageBytes: limits.maxMessageBytes });
  }

  /**
   * Sends the messages and resolves once each one was accepted or failed for good. Never rejects
   * for a message's sake: refusals, sender faults and exhausted retries are in `failed`.
   */
  async send(messages: readonly OutgoingMessage[]): Promise<SendReport> {
    const run = new SendRun(messages.length, this.options.onProgress);
    const prepared = await this.prepare(messages, run);
    if (this.fifo) await this.sendFifo(prepared, run);
    else await this.sendStandard(prepared, run);
    return run.report();
  }

  /** Checks and offloads each message; refusals go straight to the report (and, on FIFO, hold back the rest of their group). */
  private async prepare(messages: readonly OutgoingMessage[], run: SendRun): Promise<PreparedMessage[]> {
    const prepared = new Array<PreparedMessage | SendFailure>(messages.length);
    const offloading = this.options.payloadOffloading;
    await forEachWithLimit(messages, this.options.maxConcurrentUploads ?? 8, async (message, index) => {
      const base = { index, message, body: message.body, attributes: message.attributes ?? {}, deduplicationId: message.deduplicationId, pointer: undefined };
      const refusal = localRefusal(message, this.fifo);
      if (refusal) {
        prepared[index] = failureOf({ ...base, bytes: 0 }, refusal.code, refusal.reason, true, 0);
        return;
      }
      let item: PreparedMessage = { ...base, bytes: messageSizeBytes(message.body, message.attributes) };
      if (offloading !== undefined) {
        try {
          const result = await offloadIfLarge(message, { ...offloading, thresholdBytes: offloading.thresholdBytes ?? this.maxMessageBytes });
          if (result.pointer !== undefined) {
            run.offloaded++;
            item = {
              ...item,
              body: result.body,
              attributes: result.attributes,
              pointer: result.pointer,
              bytes: messageSizeBytes(result.body, result.attributes),
              // The pointer body is unique, so content-based deduplication would no longer see
              // duplicates: deduplicate on the payload instead, as SQS would have.
              deduplicationId: message.deduplicationId ?? (this.fifo ? contentDeduplicationId(message.body) : undefined),
            };
          }
        } catch (error) {
          const code = error instanceof ExtendedPayloadError ? error.name : SendFailureCode.PayloadOffloadFailed;
          const reason = error instanceof Error ? `${error instanceof ExtendedPayloadError ? '' : `${error.name}: `}${error.message}` : String(error);
          prepared[index] = failureOf(item, code, reason, error instanceof ExtendedPayloadError, 0);
          return;
        }
      }
      prepared[index] =
        item.bytes > this.maxMessageBytes
          ? failureOf(item, SendFailureCode.MessageTooLong, `${item.bytes} bytes (body + attributes) exceed the queue's ${this.maxMessageBytes}`, true, 0)
          : item;
    });

    const ready: PreparedMessage[] = [];
    const stoppedGroups = new Set<string>();
    for (const entry of prepared) {
      const groupId = this.fifo ? entry.message.groupId : undefined;
      if ('code' in entry) {
        run.failed.push(entry);
        if (groupId !== undefined) stoppedGroups.add(groupId);
      } else if (groupId !== undefined && stoppedGroups.has(groupId)) {
        run.failed.push(this.precedingFailed(entry.index, entry.message, entry.pointer));
      } else {
        ready.push(entry);
      }
    }
    return ready;
  }

  private precedingFailed(index: number, message: OutgoingMessage, pointer: PreparedMessage['pointer']): SendFailure {
    return {
      index,
      message,
      code: SendFailureCode.PrecedingMessageFailed,
      reason: `an earlier message of group ${JSON.stringify(message.groupId)} was not sent; sending this one would put it out of order`,
      senderFault: false,
      attempts: 0,
      ...(pointer === undefined ? {} : { pointer }),
    };
  }

  private batchContext(): Parameters<typeof sendBatch>[1] {
    return {
      client: this.client,
      queueUrl: this.queueUrl,
      maxAttempts: this.maxAttempts,
      ...(this.options.backoff === undefined ? {} : { backoff: this.options.backoff }),
      ...(this.options.sleep === undefined ? {} : { sleep: this.options.sleep }),
    };
  }

  /** Standard queues: batches in input order, several in flight. */
  private async sendStandard(items: readonly PreparedMessage[], run: SendRun): Promise<void> {
    const batches = chunkByCountAndBytes(items, this.maxBatchEntries, this.maxBatchBytes, (item) => item.bytes);
    const context = this.batchContext();
    await forEachWithLimit(batches, this.maxConcurrentRequests, async (batch) => run.add(await sendBatch(batch, context)));
  }

  /** FIFO queues: a group's next batch only after its previous one settled; a group stops at its first failure. */
  private async sendFifo(items: readonly PreparedMessage[], run: SendRun): Promise<void> {
    const schedule = new FifoSchedule(
      items.map((item) => ({ item, groupId: item.message.groupId!, bytes: item.bytes })),
      { maxEntries: this.maxBatchEntries, maxBytes: this.maxBatchBytes, perGroup: this.options.fifoOrdering === 'grouped' ? this.maxBatchEntries : 1 },
    );
    const context = this.batchContext();
    const inFlight = new Set<Promise<void>>();
    const launch = (batch: ReturnType<typeof schedule.nextBatch>): void => {
      const done = sendBatch(batch.map((b) => b.item), context).then((outcome) => {
        run.add(outcome);
        const failedIndexes = new Set(outcome.failed.map((f) => f.index));
        const stopped = new Set(batch.filter((b) => failedIndexes.has(b.item.index)).map((b) => b.groupId));
        this.noteOutOfOrder(batch.map((b) => b.item), outcome, failedIndexes, run);
        for (const held of schedule.settle(batch, stopped)) run.failed.push(this.precedingFailed(held.item.index, held.item.message, held.item.pointer));
        inFlight.delete(done);
      });
      inFlight.add(done);
    };
    for (;;) {
      while (inFlight.size < this.maxConcurrentRequests) {
        const batch = schedule.nextBatch();
        if (batch.length === 0) break;
        launch(batch);
      }
      if (inFlight.size === 0) break;
      await Promise.race(inFlight);
    }
  }

  /** A group is out of order when one of its messages was accepted later than (or instead of) a later one of the same batch. */
  private noteOutOfOrder(batch: readonly PreparedMessage[], outcome: BatchOutcome, failedIndexes: ReadonlySet<number>, run: SendRun): void {
    const latestAcceptance = new Map<string, number>(); // per group, in batch order: the highest attempt seen so far
    for (const item of batch) {
      const groupId = item.message.groupId!;
      const accepted = outcome.acceptedAtAttempt.get(item.index);
      const seen = latestAcceptance.get(groupId);
      if (failedIndexes.has(item.index)) {
        latestAcceptance.set(groupId, Number.POSITIVE_INFINITY);
        continue;
      }
      if (accepted === undefined) continue;
      if (seen !== undefined && seen > accepted) run.outOfOrderGroups.add(groupId);
      latestAcceptance.set(groupId, Math.max(seen ?? 0, accepted));
    }
  }
}

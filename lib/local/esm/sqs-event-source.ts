/**
 * A local SQS event source mapping with Lambda's semantics: batches gathered by `batchSize`, the
 * batching window and the 6 MB invocation payload limit, the exact SQS event, deletion of the
 * messages that succeeded (all of them, or those not reported with `ReportBatchItemFailures`),
 * and nothing else: a failed message is left to become visible again after the queue's visibility
 * timeout, and the queue's own redrive policy moves it to its dead-letter queue after
 * `maxReceiveCount` receives. The mapping never moves messages itself.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 */
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Message, MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttribute, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { messageIdsToDelete, sqsBatchOutcome } from './sqs-batch-outcome';
import type { SqsBatchOutcome } from './sqs-batch-outcome';
import { fittingCount, isFullBatch } from './batch-payload';
import { abortableSleep } from '../../aws/backoff';
export { MAX_INVOCATION_PAYLOAD_BYTES } from './batch-payload';

/** An SQS event source mapping's settings, as in `CreateEventSourceMapping`. */
export interface SqsMappingConfig {
  readonly functionArn: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  /** The event's `awsRegion`; default: the region of `queueArn`. */
  readonly region?: string;
  /** 1–10 for a FIFO queue; 1–10,000 for a standard one, above 10 only with a batching window of at least 1 s (default 10). */
  readonly batchSize?: number;
  /** 0–300 (default 0): how long to gather messages before invoking with a batch that is not full. */
  readonly maximumBatchingWindowInSeconds?: number;
  readonly reportBatchItemFailures?: boolean;
  /**
   * `ScalingConfig.MaximumConcurrency`, 2–1000. Locally: how many batches may be in flight at once
   * (that many pollers, each receiving, invoking and deleting in turn). Absent: one batch at a
   * time — deterministic locally, where AWS would scale out up to the function's concurrency.
   */
  readonly maximumConcurrency?: number;
}

/** Calls the function with an event; a rejection is a function error. */
export type SqsInvoker = (functionArn: string, event: SQSEvent) => Promise<unknown>;

/** Counters of a mapping since it was made. */
export interface SqsMappingStats {
  invocations: number;
  /** Invocations that threw or whose answer failed the whole batch (partial failures are not counted). */
  failedInvocations: number;
  messagesDeleted: number;
  /** Deliveries that ended without deletion (a message retried twice counts twice). */
  messagesFailed: number;
  /** Messages to delete that `DeleteMessageBatch` reported failed: they will be delivered again. */
  deleteFailures: number;
}

/** Options of {@link SqsEventSource.drain}. */
export interface SqsDrainOptions {
  /** Give up after this long (default: no limit; a failing message without a DLQ then keeps it going). */
  readonly maxDurationMs?: number;
  /** Pause between polls that find nothing visible (default 100). */
  readonly pollMs?: number;
}

/** How {@link SqsEventSource.drain} ended. */
export interface SqsDrainResult {
  /** The queue had no visible, in-flight or delayed message left; false: stopped or out of time. */
  readonly drained: boolean;
  readonly elapsedMs: number;
}

/** A setting out of the range AWS accepts for it. */
export class SqsMappingConfigError extends Error {
  override readonly name = 'SqsMappingConfigError';

  constructor(readonly setting: keyof SqsMappingConfig, message: string) {
    super(`${setting}: ${message}`);
  }
}


/** ReceiveMessage and the batch actions take at most 10 messages a call. */
const SQS_BATCH_MAX = 10;

/** The system attributes Lambda puts in a record, in the order it puts them (each only when SQS gives it). */
const RECORD_ATTRIBUTES = [
  'ApproximateReceiveCount', 'AWSTraceHeader', 'SentTimestamp', 'SequenceNumber', 'MessageGroupId', 'SenderId',
  'MessageDeduplicationId', 'ApproximateFirstReceiveTimestamp', 'DeadLetterQueueSourceArn',
] as const;

/** A received message: its entry of the Lambda event and that entry's size in the event's JSON. */
interface ReceivedMessage {
  readonly record: SQSRecord;
  readonly bytes: number;
}

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** A message attribute in the event's shape: both list fields always there (empty), as Lambda sends them. */
function lambdaMessageAttribute(value: MessageAttributeValue): SQSMessageAttribute {
  return {
    ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
    ...(value.BinaryValue !== undefined ? { binaryValue: base64(value.BinaryValue) } : {}),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map(base64),
    dataType: value.DataType ?? 'String',
  };
}

/** A received message as Lambda puts it in the SQS event (key order as AWS sends it). */
export function sqsRecordOf(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes: Record<string, string> = {};
  for (const name of RECORD_ATTRIBUTES) {
    const value = (message.Attributes as Readonly<Record<string, string | undefined>> | undefined)?.[name];
    if (value !== undefined) attributes[name] = value;
  }
  const messageAttributes = Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, lambdaMessageAttribute(value)]));
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: attributes as unknown as SQSRecordAttributes,
    messageAttributes,
    ...(message.MD5OfMessageAttributes !== undefined ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    md5OfBody: message.MD5OfBody!,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

function checkRange(config: SqsMappingConfig, setting: keyof SqsMappingConfig, min: number, max: number): void {
  const value = config[setting];
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new SqsMappingConfigError(setting, `${String(value)} is not an integer from ${min} to ${max}`);
  }
}

/** What one worker of a `drain()` or `run()` shares with the others. */
interface Session {
  readonly signal: AbortSignal;
  /** When to give up (ms since the epoch; Infinity for no limit). */
  readonly deadline: number;
  /** Follow the queue (`run`) rather than end once it is empty (`drain`). */
  readonly follow: boolean;
  readonly pollMs: number;
  drained: boolean;
}

/**
 * Runs an SQS event source mapping against an SQS endpoint (fauxqs or AWS): `drain()` delivers
 * until the queue is empty, `run()` follows it until `stop()`.
 *
 * Polling is short (`WaitTimeSeconds: 0`, then a pause), so that `stop()` and a drain's deadline
 * take effect quickly.
 */
export class SqsEventSource {
  readonly stats: SqsMappingStats = { invocations: 0, failedInvocations: 0, messagesDeleted: 0, messagesFailed: 0, deleteFailures: 0 };
  private readonly fifo: boolean;
  private readonly region: string;
  private readonly sessions = new Set<AbortController>();
  private stopped = false;

  /** @throws {SqsMappingConfigError} for a setting out of AWS's range. */
  constructor(
    readonly config: SqsMappingConfig,
    private readonly sqs: SQSClient,
    private readonly invoke: SqsInvoker,
  ) {
    this.fifo = config.queueArn.endsWith('.fifo') || config.queueUrl.endsWith('.fifo');
    checkRange(config, 'batchSize', 1, this.fifo ? SQS_BATCH_MAX : 10_000);
    checkRange(config, 'maximumBatchingWindowInSeconds', 0, 300);
    checkRange(config, 'maximumConcurrency', 2, 1000);
    if ((config.batchSize ?? SQS_BATCH_MAX) > SQS_BATCH_MAX && (config.maximumBatchingWindowInSeconds ?? 0) < 1) {
      throw new SqsMappingConfigError('maximumBatchingWindowInSeconds', `a batchSize above ${SQS_BATCH_MAX} needs a batching window of at least 1 s`);
    }
    this.region = config.region ?? (config.queueArn.split(':')[3] || 'eu-west-1');
  }

  /**
   * Delivers until the queue has no message left — none visible, in flight (received by anyone
   * and not deleted yet, e.g. failed ones waiting for their visibility timeout) or delayed — or
   * until `maxDurationMs` passes or `stop()` is called. Failed messages are delivered again when
   * they become visible, until the queue's redrive policy moves them to its DLQ; without one, a
   * message that always fails keeps the queue from emptying (pass `maxDurationMs`).
   * @throws the first error receiving or deleting (the other workers are stopped first).
   */
  async drain(options: SqsDrainOptions = {}): Promise<SqsDrainResult> {
    const started = Date.now();
    const deadline = options.maxDurationMs === undefined ? Infinity : started + options.maxDurationMs;
    const drained = await this.work(false, options.pollMs ?? 100, deadline);
    return { drained, elapsedMs: Date.now() - started };
  }

  /** Follows the queue until `stop()`, polling every `pollMs` while it has nothing visible. */
  async run(pollMs = 200): Promise<void> {
    await this.work(true, pollMs, Infinity);
  }

  /**
   * Stops polling: `drain()` and `run()` resolve soon after. An invocation in progress finishes and
   * its messages are deleted or not as usual; messages received but not yet handed to the function
   * are made visible again at once (their receive still counts toward `maxReceiveCount`).
   */
  stop(): void {
    this.stopped = true;
    for (const session of this.sessions) session.abort();
  }

  /** `maximumConcurrency` workers (one when unset); true if the queue was found empty. */
  private async work(follow: boolean, pollMs: number, deadline: number): Promise<boolean> {
    if (this.stopped) return false;
    const controller = new AbortController();
    this.sessions.add(controller);
    const session: Session = { signal: controller.signal, deadline, follow, pollMs, drained: false };
    const failures: unknown[] = [];
    const workers = Array.from({ length: this.config.maximumConcurrency ?? 1 }, () =>
      this.poll(session).catch((error: unknown) => {
        failures.push(error);
        controller.abort();
      }));
    try {
      await Promise.all(workers);
    } finally {
      this.sessions.delete(controller);
    }
    if (failures.length > 0) throw failures[0];
    return session.drained;
  }

  private isOver(session: Session): boolean {
    return session.signal.aborted || session.drained || Date.now() >= session.deadline;
  }

  /** One worker: gather a batch, invoke, delete; when nothing comes, end (drain) or wait (run). */
  private async poll(session: Session): Promise<void> {
    let carried: ReceivedMessage[] = [];
    try {
      while (!this.isOver(session)) {
        const { batch, rest } = await this.gather(carried, session);
        carried = rest;
        if (batch.length > 0) {
          await this.handle(batch);
          continue;
        }
        if (carried.length > 0) continue;
        if (!session.follow && (await this.queueIsEmpty())) {
          session.drained = true;
          return;
        }
        await abortableSleep(Math.min(session.pollMs, session.deadline - Date.now()), session.signal);
      }
    } finally {
      if (carried.length > 0) await this.release(carried);
    }
  }

  /**
   * Receives until `batchSize` messages (or the payload limit) or the end of the batching window
   * counted from the first message; `rest` is what was received beyond the payload limit, or
   * everything when stopped or out of time before the batch could be invoked.
   */
  private async gather(carried: readonly ReceivedMessage[], session: Session): Promise<{ batch: ReceivedMessage[]; rest: ReceivedMessage[] }> {
    const batchSize = this.config.batchSize ?? SQS_BATCH_MAX;
    const windowMs = (this.config.maximumBatchingWindowInSeconds ?? 0) * 1000;
    const pending = [...carried];
    const indexOf = new Map(pending.map((m, i) => [m.record.messageId, i]));
    let windowStart = pending.length > 0 ? Date.now() : 0;
    while (!isFullBatch(pending, batchSize)) {
      if (session.signal.aborted || Date.now() >= session.deadline) return { batch: [], rest: pending };
      const remainingMs = windowStart + windowMs - Date.now();
      if (pending.length > 0 && remainingMs <= 0) break;
      const received = await this.receive(Math.min(SQS_BATCH_MAX, batchSize - pending.length));
      if (received.length > 0) {
        if (pending.length === 0) windowStart = Date.now();
        for (const message of received) {
          // Received again: its visibility timeout ran out while the window was open (AWS wants
          // the timeout above the window for this reason). Keep it once, with the new receipt handle.
          const earlier = indexOf.get(message.record.messageId);
          if (earlier === undefined) indexOf.set(message.record.messageId, pending.push(message) - 1);
          else pending[earlier] = message;
        }
        if (windowMs === 0) break;
      } else if (pending.length === 0) {
        return { batch: [], rest: [] };
      } else {
        await abortableSleep(Math.min(session.pollMs, remainingMs), session.signal);
      }
    }
    if (session.signal.aborted) return { batch: [], rest: pending };
    const count = fittingCount(pending, batchSize);
    return { batch: pending.slice(0, count), rest: pending.slice(count) };
  }

  private async receive(max: number): Promise<ReceivedMessage[]> {
    const out = await this.sqs.send(new ReceiveMessageCommand({
      QueueUrl: this.config.queueUrl,
      MaxNumberOfMessages: max,
      AttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
      WaitTimeSeconds: 0,
    }));
    return (out.Messages ?? []).map((message) => {
      const record = sqsRecordOf(message, this.config.queueArn, this.region);
      return { record, bytes: Buffer.byteLength(JSON.stringify(record)) };
    });
  }

  /** Invokes the function with a batch and deletes the messages its outcome says succeeded. */
  private async handle(batch: readonly ReceivedMessage[]): Promise<void> {
    const records = batch.map((m) => m.record);
    const messages = records.map((r) => ({ messageId: r.messageId, ...(r.attributes.MessageGroupId !== undefined ? { messageGroupId: r.attributes.MessageGroupId } : {}) }));
    this.stats.invocations++;
    let outcome: SqsBatchOutcome;
    try {
      const response = await this.invoke(this.config.functionArn, { Records: records });
      outcome = sqsBatchOutcome(messages, response, { reportBatchItemFailures: this.config.reportBatchItemFailures ?? false, fifo: this.fifo });
    } catch (error) {
      outcome = { kind: 'failure', reason: error instanceof Error ? error.message : String(error) };
    }
    if (outcome.kind === 'failure') this.stats.failedInvocations++;
    const toDelete = new Set(messageIdsToDelete(messages, outcome));
    this.stats.messagesFailed += batch.length - toDelete.size;
    await this.deleteMessages(records.filter((r) => toDelete.has(r.messageId)));
  }

  /** DeleteMessageBatch by tens; entries it reports failed are counted in `deleteFailures`. */
  private async deleteMessages(records: readonly SQSRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += SQS_BATCH_MAX) {
      const chunk = records.slice(i, i + SQS_BATCH_MAX);
      const out = await this.sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: this.config.queueUrl,
        Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
      }));
      const failed = out.Failed?.length ?? 0;
      this.stats.deleteFailures += failed;
      this.stats.messagesDeleted += chunk.length - failed;
    }
  }

  /** Makes messages received but not invoked visible again; best effort (else they come back after the visibility timeout). */
  private async release(messages: readonly ReceivedMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += SQS_BATCH_MAX) {
      const chunk = messages.slice(i, i + SQS_BATCH_MAX);
      try {
        await this.sqs.send(new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.config.queueUrl,
          Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.record.receiptHandle, VisibilityTimeout: 0 })),
        }));
      } catch {
        // They become visible again after the visibility timeout anyway.
      }
    }
  }

  /** No message visible, in flight or delayed. */
  private async queueIsEmpty(): Promise<boolean> {
    const { Attributes: a = {} } = await this.sqs.send(new GetQueueAttributesCommand({
      QueueUrl: this.config.queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }));
    return [a.ApproximateNumberOfMessages, a.ApproximateNumberOfMessagesNotVisible, a.ApproximateNumberOfMessagesDelayed].every((n) => Number(n ?? 0) === 0);
  }
}

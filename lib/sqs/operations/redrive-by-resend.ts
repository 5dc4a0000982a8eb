/**
 * Redrive by hand: receive from the DLQ, send to the destination (same body, attributes, group
 * id, trace header), delete from the DLQ only once the send was accepted. A message is never
 * deleted before it is in the destination; one received again in the same redrive (its delete
 * failed, or its visibility ran out) is deleted, not sent twice.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import { SqsSender, type OutgoingMessage } from '../sender';
import { readQueueState, type QueueState } from './queue-state';
import type { RedriveFailure, RedriveOptions } from './redrive-types';

export interface ResendOutcome {
  readonly moved: number;
  readonly failed: readonly RedriveFailure[];
  readonly duplicated: number;
  readonly requests: { receive: number; send: number; delete: number };
}

/** Attribute values as `SendMessage` takes them (the list fields are reserved; received ones may come back empty). */
function sendableAttributes(attributes: Record<string, MessageAttributeValue> | undefined): Record<string, MessageAttributeValue> | undefined {
  if (attributes === undefined || Object.keys(attributes).length === 0) return undefined;
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      { DataType: value.DataType, ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }), ...(value.BinaryValue === undefined ? {} : { BinaryValue: value.BinaryValue }) },
    ]),
  );
}

export async function redriveByResend(sqs: SQSClient, dlq: QueueState, destination: QueueState, options: RedriveOptions): Promise<ResendOutcome> {
  const runId = randomUUID();
  const dedup = options.fifoDeduplication ?? 'per-redrive';
  const sender = new SqsSender({
    client: sqs,
    queueUrl: destination.url,
    fifo: destination.fifo,
    ...(destination.maxMessageBytes > 0 ? { maxMessageBytes: destination.maxMessageBytes } : {}),
    maxConcurrentRequests: 1,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  });
  const toOutgoing = (message: Message): OutgoingMessage => {
    const system = message.Attributes ?? {};
    const attributes = sendableAttributes(message.MessageAttributes);
    const deduplicationId = destination.fifo
      ? dedup === 'original' && system.MessageDeduplicationId !== undefined
        ? system.MessageDeduplicationId
        : createHash('sha256').update(`${runId}:${message.MessageId ?? ''}`).digest('hex')
      : undefined;
    return {
      body: message.Body ?? '',
      ...(attributes ? { attributes } : {}),
      ...(system.MessageGroupId === undefined ? {} : { groupId: system.MessageGroupId }),
      ...(deduplicationId === undefined ? {} : { deduplicationId }),
      ...(system.AWSTraceHeader === undefined ? {} : { traceHeader: system.AWSTraceHeader }),
    };
  };

  const sentIds = new Set<string>();
  /** Not sent, by message id: dropped when a later receive (after its visibility timeout) sends it after all. */
  const notSent = new Map<string, RedriveFailure>();
  const requests = { receive: 0, send: 0, delete: 0 };
  /** Sent but not deleted, by message id: dropped again when a later receive deletes the message after all. */
  const undeleted = new Map<string, RedriveFailure>();
  const max = options.maxMessages;
  const total = max ?? dlq.counts.visible;
  /** Receives in a row in which nothing could be sent: a destination that refuses everything ends the run. */
  let fruitless = 0;

  const receive = async (count: number, waitTimeSeconds: number): Promise<Message[]> => {
    requests.receive++;
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlq.url,
        MaxNumberOfMessages: count,
        VisibilityTimeout: options.visibilityTimeoutSeconds ?? 60,
        WaitTimeSeconds: waitTimeSeconds,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    return messages;
  };

  while (max === undefined || sentIds.size < max) {
    const want = Math.min(10, max === undefined ? 10 : max - sentIds.size);
    let received = await receive(want, 0);
    if (received.length === 0) {
      // A short poll samples a subset of SQS's servers and may come back empty while messages
      // remain: long-poll once before concluding, unless the queue says it has none visible.
      const { counts } = await readQueueState(sqs, dlq.url);
      const wait = options.waitTimeSeconds ?? 2;
      if (counts.visible > 0 && wait > 0) received = await receive(want, wait);
    }
    if (received.length === 0) break;
    const again = received.filter((m) => sentIds.has(m.MessageId ?? ''));
    const fresh = received.filter((m) => !sentIds.has(m.MessageId ?? ''));
    const report = await sender.send(fresh.map(toOutgoing));
    requests.send += report.requests;
    const toDelete = [...again];
    for (const sent of report.sent) {
      const message = fresh[sent.index]!;
      sentIds.add(message.MessageId ?? '');
      notSent.delete(message.MessageId ?? '');
      toDelete.push(message);
    }
    for (const failure of report.failed) {
      // Left in the DLQ, invisible until its visibility timeout ends; on FIFO its group waits with it.
      const messageId = fresh[failure.index]!.MessageId ?? '';
      notSent.set(messageId, { messageId, stage: 'send', code: failure.code, reason: failure.reason });
    }
    if (toDelete.length > 0) {
      requests.delete++;
      const entries = toDelete.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! }));
      let deleteFailures: { Id?: string; Code?: string; Message?: string }[];
      try {
        deleteFailures = (await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: dlq.url, Entries: entries }))).Failed ?? [];
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error';
        deleteFailures = entries.map((e) => ({ Id: e.Id, Code: name, Message: error instanceof Error ? error.message : String(error) }));
      }
      const failedIds = new Set<string>();
      for (const f of deleteFailures) {
        const message = toDelete[Number(f.Id)];
        if (message === undefined) continue;
        const messageId = message.MessageId ?? '';
        failedIds.add(messageId);
        undeleted.set(messageId, { messageId, stage: 'delete', code: f.Code ?? 'UnknownError', reason: `sent to the destination but not deleted from the DLQ: ${f.Message ?? ''}` });
      }
      for (const message of toDelete) if (!failedIds.has(message.MessageId ?? '')) undeleted.delete(message.MessageId ?? '');
    }
    options.onProgress?.({ moved: sentIds.size, failed: notSent.size + undeleted.size, total });
    fruitless = fresh.length > 0 && report.sent.length === 0 ? fruitless + 1 : 0;
    if (fruitless === 3) break;
  }
  return { moved: sentIds.size, failed: [...notSent.values(), ...undeleted.values()], duplicated: undeleted.size, requests };
}

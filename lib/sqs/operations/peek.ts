/**
 * A sample of a queue's messages without consuming them: `ReceiveMessage` with
 * `VisibilityTimeout` 0, so each message is visible again at once and nothing is deleted.
 *
 * Not free of effects, which is why callers offer it only on request: every receive adds one to
 * the message's `ApproximateReceiveCount`, so peeking a queue that has a redrive policy brings its
 * messages closer to the dead-letter queue (one with `maxReceiveCount` receives already moves
 * there on the next receive), and a FIFO group is locked for the instant its message is out.
 */
import { ReceiveMessageCommand, type Message, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import { decodePointer, findPayloadSizeMarker, type S3Pointer } from '../extended-payload';

export interface PeekedMessage {
  readonly messageId: string;
  readonly body: string;
  /** UTF-8 bytes of the body as stored (the pointer, for offloaded messages). */
  readonly bodyBytes: number;
  /** `SentTimestamp`. */
  readonly sentAt?: Date;
  /** `ApproximateReceiveCount`, this peek included. */
  readonly receiveCount?: number;
  readonly groupId?: string;
  readonly deduplicationId?: string;
  readonly attributes: Readonly<Record<string, MessageAttributeValue>>;
  /** Where the payload is, for Extended Client pointer messages (not read). */
  readonly payloadPointer?: S3Pointer;
}

export interface PeekOptions {
  /** Long-poll wait of each receive (default 0: a sample of what is there now). */
  readonly waitTimeSeconds?: number;
}

function toPeeked(message: Message): PeekedMessage {
  const system = message.Attributes ?? {};
  const attributes = message.MessageAttributes ?? {};
  const body = message.Body ?? '';
  let payloadPointer: S3Pointer | undefined;
  if (findPayloadSizeMarker(attributes) !== undefined) {
    try {
      payloadPointer = decodePointer(body);
    } catch {
      payloadPointer = undefined; // shown as it is; the consumer will call it malformed
    }
  }
  const sent = Number(system.SentTimestamp);
  const received = Number(system.ApproximateReceiveCount);
  return {
    messageId: message.MessageId ?? '',
    body,
    bodyBytes: Buffer.byteLength(body, 'utf8'),
    ...(Number.isFinite(sent) && sent > 0 ? { sentAt: new Date(sent) } : {}),
    ...(Number.isFinite(received) && received > 0 ? { receiveCount: received } : {}),
    ...(system.MessageGroupId === undefined ? {} : { groupId: system.MessageGroupId }),
    ...(system.MessageDeduplicationId === undefined ? {} : { deduplicationId: system.MessageDeduplicationId }),
    attributes,
    ...(payloadPointer === undefined ? {} : { payloadPointer }),
  };
}

/**
 * Up to `count` distinct messages (fewer when the queue has fewer visible, or when SQS's sampling
 * keeps returning the same ones). Receives at most `ceil(count / 10) + 2` times.
 */
export async function peekMessages(sqs: SQSClient, queueUrl: string, count: number, options: PeekOptions = {}): Promise<PeekedMessage[]> {
  const seen = new Map<string, PeekedMessage>();
  const maxReceives = Math.ceil(count / 10) + 2;
  for (let receive = 0; receive < maxReceives && seen.size < count; receive++) {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, count - seen.size),
        VisibilityTimeout: 0,
        WaitTimeSeconds: options.waitTimeSeconds ?? 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const fresh = messages.filter((m) => m.MessageId !== undefined && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const message of fresh) if (seen.size < count) seen.set(message.MessageId!, toPeeked(message));
  }
  return [...seen.values()];
}

/** Age of the oldest message in the sample, in seconds at `now` (ms). A lower bound of the queue's oldest age. */
export function oldestSampledAgeSeconds(sample: readonly PeekedMessage[], now: number): number | undefined {
  const sent = sample.map((m) => m.sentAt?.getTime()).filter((t): t is number => t !== undefined);
  return sent.length === 0 ? undefined : Math.max(0, Math.round((now - Math.min(...sent)) / 1000));
}

/** A message to send, and the checks SQS would otherwise fail a whole request (or an entry) on. */
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';

/** One message for {@link SqsSender.send}. */
export interface OutgoingMessage {
  readonly body: string;
  readonly attributes?: Readonly<Record<string, MessageAttributeValue>>;
  /** Required on FIFO queues; messages of one group are delivered in the order given. */
  readonly groupId?: string;
  /** FIFO: required unless the queue has content-based deduplication. */
  readonly deduplicationId?: string;
  /** Standard queues only (0–900). */
  readonly delaySeconds?: number;
  /** X-Ray trace header, sent as the `AWSTraceHeader` system attribute (not counted in the size). */
  readonly traceHeader?: string;
}

/** Refusals made before any request, and the codes of failures the sender itself decides. */
export const SendFailureCode = {
  /** SQS requires 1 character at least. */
  EmptyBody: 'EmptyMessageBody',
  /** FIFO queues require `MessageGroupId`. */
  MissingGroupId: 'MissingMessageGroupId',
  /** FIFO queues refuse a per-message delay. */
  DelayOnFifo: 'DelaySecondsNotAllowedOnFifo',
  /** Body + attributes over the queue's `MaximumMessageSize`, and not offloaded to S3. */
  MessageTooLong: 'MessageTooLong',
  /** The payload could not be written to S3 (the S3 error's message follows). */
  PayloadOffloadFailed: 'PayloadOffloadFailed',
  /** FIFO: an earlier message of the group failed, so this one was not sent (it would have overtaken it). */
  PrecedingMessageFailed: 'PrecedingMessageFailed',
  /** The response named the entry neither successful nor failed. */
  MissingFromResponse: 'MissingFromResponse',
} as const;
export type SendFailureCode = (typeof SendFailureCode)[keyof typeof SendFailureCode];

/** The first reason SQS would refuse this message on this queue type, or `undefined`. */
export function localRefusal(message: OutgoingMessage, fifo: boolean): { code: SendFailureCode; reason: string } | undefined {
  if (message.body.length === 0) return { code: SendFailureCode.EmptyBody, reason: 'the message body is empty' };
  if (fifo && (message.groupId === undefined || message.groupId === '')) return { code: SendFailureCode.MissingGroupId, reason: 'a FIFO queue requires a MessageGroupId' };
  if (fifo && message.delaySeconds !== undefined && message.delaySeconds !== 0) {
    return { code: SendFailureCode.DelayOnFifo, reason: 'a FIFO queue takes no per-message DelaySeconds (set it on the queue)' };
  }
  return undefined;
}

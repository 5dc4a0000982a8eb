/** A message as it will be sent (offloaded or not), with its place in the caller's array. */
import type { MessageAttributeValue, SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { S3Pointer } from '../extended-payload';
import type { OutgoingMessage } from './outgoing-message';
import type { SendFailure } from './report';

export interface PreparedMessage {
  readonly index: number;
  /** As the caller gave it (reported back on failure). */
  readonly message: OutgoingMessage;
  /** What goes on the wire: the original body, or the pointer. */
  readonly body: string;
  readonly attributes: Readonly<Record<string, MessageAttributeValue>>;
  readonly deduplicationId: string | undefined;
  /** Body + attributes as SQS counts them. */
  readonly bytes: number;
  readonly pointer: S3Pointer | undefined;
}

/** The entry id: the index, unique within any batch (a message is in a batch at most once). */
export const entryIdOf = (item: PreparedMessage): string => String(item.index);

export function toBatchEntry(item: PreparedMessage): SendMessageBatchRequestEntry {
  const { message } = item;
  return {
    Id: entryIdOf(item),
    MessageBody: item.body,
    ...(Object.keys(item.attributes).length > 0 ? { MessageAttributes: { ...item.attributes } } : {}),
    // Also on standard queues: there it makes the queue fair across groups.
    ...(message.groupId === undefined ? {} : { MessageGroupId: message.groupId }),
    ...(item.deduplicationId === undefined ? {} : { MessageDeduplicationId: item.deduplicationId }),
    ...(message.delaySeconds === undefined ? {} : { DelaySeconds: message.delaySeconds }),
    ...(message.traceHeader === undefined ? {} : { MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: message.traceHeader } } }),
  };
}

export function failureOf(item: PreparedMessage, code: string, reason: string, senderFault: boolean, attempts: number): SendFailure {
  return {
    index: item.index,
    message: item.message,
    code,
    reason,
    senderFault,
    attempts,
    ...(item.pointer === undefined ? {} : { pointer: item.pointer }),
  };
}

/** The reserved size attribute, read from either shape a consumer sees messages in. */
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSMessageAttribute, SQSMessageAttributes } from 'aws-lambda';
import { LEGACY_RESERVED_ATTRIBUTE_NAME, RESERVED_ATTRIBUTE_NAME } from './constants';

/** Message attributes as a Lambda SQS event carries them (`stringValue`), or as the SDK's `ReceiveMessage` returns them (`StringValue`). */
export type ReceivedMessageAttributes = SQSMessageAttributes | Readonly<Record<string, MessageAttributeValue>>;

/** The reserved attribute found on a message. */
export interface PayloadSizeMarker {
  readonly attributeName: typeof RESERVED_ATTRIBUTE_NAME | typeof LEGACY_RESERVED_ATTRIBUTE_NAME;
  /** The recorded payload size in bytes; `undefined` when the value is not a non-negative integer. */
  readonly bytes: number | undefined;
}

function stringValueOf(attribute: SQSMessageAttribute | MessageAttributeValue): string | undefined {
  return 'StringValue' in attribute ? attribute.StringValue : 'stringValue' in attribute ? attribute.stringValue : undefined;
}

/**
 * The reserved attribute, when present: `ExtendedPayloadSize` first, then the legacy
 * `SQSLargePayloadSize` (the order both clients look in).
 */
export function findPayloadSizeMarker(attributes: ReceivedMessageAttributes | undefined): PayloadSizeMarker | undefined {
  if (attributes === undefined) return undefined;
  for (const attributeName of [RESERVED_ATTRIBUTE_NAME, LEGACY_RESERVED_ATTRIBUTE_NAME] as const) {
    if (!Object.hasOwn(attributes, attributeName)) continue;
    const attribute = (attributes as Readonly<Record<string, SQSMessageAttribute | MessageAttributeValue>>)[attributeName];
    const text = attribute === undefined ? undefined : stringValueOf(attribute)?.trim();
    const bytes = text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
    return { attributeName, bytes: bytes !== undefined && Number.isSafeInteger(bytes) ? bytes : undefined };
  }
  return undefined;
}

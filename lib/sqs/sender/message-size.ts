/**
 * Message size as SQS counts it against `MaximumMessageSize` and the batch limit: the body's UTF-8
 * bytes plus, for every message attribute, its name, its data type and its value ("all parts of
 * the message attribute, including name, type, and value"; binary values by their raw bytes).
 * Message *system* attributes (`AWSTraceHeader`) do not count. The Extended Clients use the same
 * rule to decide what to offload (`AmazonSQSExtendedClientUtil.getMsgAttributesSize`).
 */
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';

/** Bytes the attributes add to a message. */
export function attributesSizeBytes(attributes: Readonly<Record<string, MessageAttributeValue>> | undefined): number {
  if (attributes === undefined) return 0;
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name, 'utf8');
    if (value.DataType !== undefined) bytes += Buffer.byteLength(value.DataType, 'utf8');
    if (value.StringValue !== undefined) bytes += Buffer.byteLength(value.StringValue, 'utf8');
    if (value.BinaryValue !== undefined) bytes += value.BinaryValue.byteLength;
  }
  return bytes;
}

/** Body + attributes, in bytes. */
export function messageSizeBytes(body: string, attributes?: Readonly<Record<string, MessageAttributeValue>>): number {
  return Buffer.byteLength(body, 'utf8') + attributesSizeBytes(attributes);
}

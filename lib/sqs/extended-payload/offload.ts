/** The producer side: a message too large for the queue becomes an S3 object and a pointer message. */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { attributesSizeBytes, messageSizeBytes } from '../sender/message-size';
import {
  EXTENDED_CLIENT_DEFAULT_THRESHOLD_BYTES,
  LEGACY_RESERVED_ATTRIBUTE_NAME,
  MAX_S3_KEY_PREFIX_LENGTH,
  MAX_USER_ATTRIBUTES_WITH_POINTER,
  RESERVED_ATTRIBUTE_NAME,
  VALID_S3_KEY_PREFIX,
} from './constants';
import { OffloadRejectedError } from './errors';
import { encodePointer, type S3Pointer } from './pointer';

/** Where and when payloads are offloaded. */
export interface OffloadOptions {
  readonly s3: S3Client;
  /** The bucket payloads are written to (it must exist). */
  readonly bucket: string;
  /**
   * Offload when body + attributes exceed this many bytes (default 262,144, the clients' default;
   * the sender passes its queue's `MaximumMessageSize`).
   */
  readonly thresholdBytes?: number;
  /** Offload every message, whatever its size (the clients' `alwaysThroughS3`). */
  readonly alwaysThroughS3?: boolean;
  /** Prepended to the UUID key, as Java 2.x's `s3KeyPrefix` (characters `a-zA-Z0-9./_-`, at most 988). */
  readonly keyPrefix?: string;
  /** Write the 1.x attribute name `SQSLargePayloadSize` (for consumers on the Java 1.x client). */
  readonly useLegacyAttributeName?: boolean;
  /** SSE-KMS key for the payload objects; without it the bucket's default encryption applies. */
  readonly sseKmsKeyId?: string;
  /** Key generator (default `randomUUID`), injectable for tests. */
  readonly newKey?: () => string;
}

/** A message ready to send: unchanged, or a pointer with the reserved size attribute. */
export interface OffloadResult {
  readonly body: string;
  readonly attributes: Readonly<Record<string, MessageAttributeValue>>;
  /** Set when the body went to S3. */
  readonly pointer?: S3Pointer;
  /** UTF-8 bytes of the original body. */
  readonly payloadBytes: number;
}

/** @throws {OffloadRejectedError} for a prefix the Java client would refuse. */
export function validateKeyPrefix(prefix: string): void {
  if (prefix.length > MAX_S3_KEY_PREFIX_LENGTH) throw new OffloadRejectedError('invalid-key-prefix', `the S3 key prefix is longer than ${MAX_S3_KEY_PREFIX_LENGTH} characters`);
  if (!VALID_S3_KEY_PREFIX.test(prefix)) throw new OffloadRejectedError('invalid-key-prefix', `the S3 key prefix ${JSON.stringify(prefix)} has characters outside a-zA-Z0-9./_-`);
}

/**
 * True when the message goes through S3 under these options: always, or when body + attributes
 * exceed the threshold (strictly, as `AmazonSQSExtendedClientUtil.isLarge`).
 */
export function needsOffload(body: string, attributes: Readonly<Record<string, MessageAttributeValue>> | undefined, options: Pick<OffloadOptions, 'thresholdBytes' | 'alwaysThroughS3'>): boolean {
  return options.alwaysThroughS3 === true || messageSizeBytes(body, attributes) > (options.thresholdBytes ?? EXTENDED_CLIENT_DEFAULT_THRESHOLD_BYTES);
}

/**
 * Writes the body to S3 and returns the pointer message when {@link needsOffload}, else the
 * message unchanged. The pointer message is what the Java 2.x client sends: the body
 * `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":…,"s3Key":…}]`, the
 * user's attributes, and `ExtendedPayloadSize` (`Number`, the body's UTF-8 byte length). The key is
 * `keyPrefix + UUID`.
 *
 * @throws {OffloadRejectedError} when the attributes already hold a reserved name, or are too many
 * (over 9) or too large (over the threshold) to travel with a pointer — the client's checks.
 * S3 errors are rethrown as the SDK raised them.
 */
export async function offloadIfLarge(message: { readonly body: string; readonly attributes?: Readonly<Record<string, MessageAttributeValue>> }, options: OffloadOptions): Promise<OffloadResult> {
  const attributes = message.attributes ?? {};
  const payloadBytes = Buffer.byteLength(message.body, 'utf8');
  for (const reserved of [RESERVED_ATTRIBUTE_NAME, LEGACY_RESERVED_ATTRIBUTE_NAME]) {
    if (Object.hasOwn(attributes, reserved)) throw new OffloadRejectedError('reserved-attribute', `the message attribute name ${reserved} is reserved for the Extended Client`);
  }
  if (!needsOffload(message.body, attributes, options)) return { body: message.body, attributes, payloadBytes };

  const threshold = options.thresholdBytes ?? EXTENDED_CLIENT_DEFAULT_THRESHOLD_BYTES;
  const count = Object.keys(attributes).length;
  if (count > MAX_USER_ATTRIBUTES_WITH_POINTER) {
    throw new OffloadRejectedError('too-many-attributes', `${count} message attributes; a pointer message allows ${MAX_USER_ATTRIBUTES_WITH_POINTER} besides the reserved one`);
  }
  const attributeBytes = attributesSizeBytes(attributes);
  if (attributeBytes > threshold) {
    throw new OffloadRejectedError('attributes-too-large', `the message attributes take ${attributeBytes} bytes, over the ${threshold}-byte threshold: only the body can be offloaded`);
  }
  const prefix = options.keyPrefix ?? '';
  validateKeyPrefix(prefix);
  const pointer: S3Pointer = { s3BucketName: options.bucket, s3Key: prefix + (options.newKey ?? randomUUID)() };
  await options.s3.send(
    new PutObjectCommand({
      Bucket: pointer.s3BucketName,
      Key: pointer.s3Key,
      Body: message.body,
      ContentLength: payloadBytes,
      ...(options.sseKmsKeyId === undefined ? {} : { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: options.sseKmsKeyId }),
    }),
  );
  const sizeAttribute = options.useLegacyAttributeName ? LEGACY_RESERVED_ATTRIBUTE_NAME : RESERVED_ATTRIBUTE_NAME;
  return {
    body: encodePointer(pointer),
    attributes: { ...attributes, [sizeAttribute]: { DataType: 'Number', StringValue: String(payloadBytes) } },
    pointer,
    payloadBytes,
  };
}

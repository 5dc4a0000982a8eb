/** The consumer side: a received message's real body, read from S3 when the message is a pointer. */
import { DeleteObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { findPayloadSizeMarker, type ReceivedMessageAttributes } from './attributes';
import { PayloadNotFoundError, PayloadSizeMismatchError } from './errors';
import { decodePointer, type S3Pointer } from './pointer';

/** A message as a consumer holds it: a Lambda `SQSRecord` (`body`, `messageAttributes`) or an SDK `Message` mapped to these names. */
export interface ReceivedMessage {
  readonly body: string;
  readonly messageAttributes?: ReceivedMessageAttributes;
}

/** The message's body, and where it was read from when it was offloaded. */
export interface ResolvedMessageBody {
  readonly body: string;
  /** Set when the body was read from S3; pass it to {@link deletePayload} once the message is processed. */
  readonly pointer?: S3Pointer;
}

/** S3 answers for an absent bucket or key (404s of `GetObject`). */
const NOT_FOUND = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound']);

function isNotFound(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return NOT_FOUND.has(error.name) || status === 404;
}

/**
 * Returns the message's body: as it is when the message has neither `ExtendedPayloadSize` nor the
 * legacy `SQSLargePayloadSize` attribute (as the Java and Python clients decide), else the S3
 * object its pointer body names, read as UTF-8.
 *
 * @throws {MalformedPointerError} the attribute is there but the body is no pointer.
 * @throws {PayloadNotFoundError} the bucket or object does not exist.
 * @throws {PayloadSizeMismatchError} the object's UTF-8 length differs from the recorded size.
 * Other S3 errors (throttling, 5xx, access denied, network) are rethrown unchanged: they may pass.
 */
export async function resolveMessageBody(message: ReceivedMessage, s3: S3Client): Promise<ResolvedMessageBody> {
  const marker = findPayloadSizeMarker(message.messageAttributes);
  if (marker === undefined) return { body: message.body };
  const pointer = decodePointer(message.body);
  let body: string;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: pointer.s3BucketName, Key: pointer.s3Key }));
    body = object.Body === undefined ? '' : await object.Body.transformToString('utf-8');
  } catch (error) {
    if (isNotFound(error)) throw new PayloadNotFoundError(pointer, { cause: error });
    throw error;
  }
  if (marker.bytes !== undefined) {
    const actual = Buffer.byteLength(body, 'utf8');
    if (actual !== marker.bytes) throw new PayloadSizeMismatchError(pointer, marker.bytes, actual);
  }
  return { body, pointer };
}

/**
 * Deletes an offloaded payload (after its message was processed, as the clients' `deleteMessage`
 * does with `cleanupS3Payload`). Deleting an object that is already gone succeeds: S3's
 * `DeleteObject` is idempotent, so a redelivered message can call this again.
 */
export async function deletePayload(s3: S3Client, pointer: S3Pointer): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: pointer.s3BucketName, Key: pointer.s3Key }));
}

/** Typed failures of Extended Client payloads: permanent for the message they concern. */
import type { S3Pointer } from './pointer';

/** Why a payload could not be offloaded or resolved. */
export type ExtendedPayloadErrorReason =
  | 'malformed-pointer'
  | 'missing-object'
  | 'size-mismatch'
  | 'reserved-attribute'
  | 'too-many-attributes'
  | 'attributes-too-large'
  | 'invalid-key-prefix';

/**
 * A message whose payload can never be offloaded or resolved as it stands: retrying it does not
 * help (S3 throttling, 5xx and network errors are not this class; they are rethrown as the SDK
 * raised them).
 */
export class ExtendedPayloadError extends Error {
  override readonly name: string = 'ExtendedPayloadError';
  constructor(
    readonly reason: ExtendedPayloadErrorReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The message carries the reserved attribute but its body is not a pointer the clients write. */
export class MalformedPointerError extends ExtendedPayloadError {
  override readonly name = 'MalformedPointerError';
  constructor(message: string, options?: ErrorOptions) {
    super('malformed-pointer', message, options);
  }
}

/** The pointer's bucket or object does not exist (deleted, expired by a lifecycle rule, or never written). */
export class PayloadNotFoundError extends ExtendedPayloadError {
  override readonly name = 'PayloadNotFoundError';
  constructor(readonly pointer: S3Pointer, options?: ErrorOptions) {
    super('missing-object', `payload s3://${pointer.s3BucketName}/${pointer.s3Key} does not exist`, options);
  }
}

/** The object's UTF-8 length differs from the size the sender recorded: it is not the payload that was sent. */
export class PayloadSizeMismatchError extends ExtendedPayloadError {
  override readonly name = 'PayloadSizeMismatchError';
  constructor(readonly pointer: S3Pointer, readonly expectedBytes: number, readonly actualBytes: number) {
    super('size-mismatch', `payload s3://${pointer.s3BucketName}/${pointer.s3Key} has ${actualBytes} bytes, the message says ${expectedBytes}`);
  }
}

/** A message the Extended Client rules forbid offloading (reserved attribute, too many or too large attributes, bad key prefix). */
export class OffloadRejectedError extends ExtendedPayloadError {
  override readonly name = 'OffloadRejectedError';
}

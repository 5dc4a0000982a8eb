/**
 * Large SQS payloads through S3, wire-compatible with the Amazon SQS Extended Client Library for
 * Java (2.x, and 1.x pointers on read) and for Python: {@link offloadIfLarge} on the producer
 * side, {@link resolveMessageBody} and {@link deletePayload} on the consumer side.
 */
export { findPayloadSizeMarker, type PayloadSizeMarker, type ReceivedMessageAttributes } from './attributes';
export {
  EXTENDED_CLIENT_DEFAULT_THRESHOLD_BYTES,
  LEGACY_POINTER_CLASS,
  LEGACY_RESERVED_ATTRIBUTE_NAME,
  MAX_USER_ATTRIBUTES_WITH_POINTER,
  POINTER_CLASS,
  RESERVED_ATTRIBUTE_NAME,
} from './constants';
export {
  ExtendedPayloadError,
  MalformedPointerError,
  OffloadRejectedError,
  PayloadNotFoundError,
  PayloadSizeMismatchError,
  type ExtendedPayloadErrorReason,
} from './errors';
export { needsOffload, offloadIfLarge, validateKeyPrefix, type OffloadOptions, type OffloadResult } from './offload';
export { decodePointer, encodePointer, type S3Pointer } from './pointer';
export { deletePayload, resolveMessageBody, type ReceivedMessage, type ResolvedMessageBody } from './resolve';

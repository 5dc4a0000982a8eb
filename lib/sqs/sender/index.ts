/** Sending to SQS: batching, partial retries, FIFO order, Extended Client offloading. */
export { isRetryableRequestError } from './batch-request';
export { readQueueSendLimits, SQS_MAX_BATCH_BYTES, SQS_MAX_BATCH_ENTRIES, SQS_MAX_MESSAGE_BYTES, type QueueSendLimits } from './limits';
export { attributesSizeBytes, messageSizeBytes } from './message-size';
export { SendFailureCode, type OutgoingMessage } from './outgoing-message';
export type { SendFailure, SendReport, SentMessage } from './report';
export { SqsSender, type SenderOffloadOptions, type SqsSenderOptions } from './sqs-sender';

/** Partial-batch logic for SQS workers (standard and FIFO) and the Lambda handler factory around it. */
export type { DecodeResult, MessageDecoder, MessageFailure, PoisonKind, WorkerSink, WorkerSinkResult } from './message-outcome';
export type { PreparedMessage, PrepareOptions } from './prepare-messages';
export { prepareMessages } from './prepare-messages';
export type { MessageOutcome, SqsBatchCounts, SqsBatchResult } from './batch-result';
export { UnknownSinkRefError } from './batch-result';
export { processStandardBatch } from './standard-batch';
export { processFifoBatch } from './fifo-batch';
export type { SqsWorkerConnection, SqsWorkerParts } from './worker-handler';
export { createSqsWorkerHandler, SQS_WORKER_METRICS } from './worker-handler';

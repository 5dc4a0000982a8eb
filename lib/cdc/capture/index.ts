/** Change data capture from PostgreSQL (logical replication, pgoutput), DMS-like: full load, then changes, into a sink. */
export { CdcCapture, type CaptureStats, type CapturePhase, type CdcCaptureOptions, type SourceConnection } from './capture';
export { CaptureConnectionError, CaptureSetupError, CaptureSinkError, CaptureTimeoutError } from './errors';
export { SinkWriteError, type CaptureSink } from './sink';
export { MemorySink, type MemorySinkOptions } from './sinks/memory-sink';
export { CANONICAL_SESSION_OPTIONS, PG_TYPE, pgTextToColumnValue, canonicalTimestamptz, canonicalTimestamp, PgValueTextError } from './pg-values';
export { addToLsn, compareLsn, formatLsn, lsnDistance, lsnOfCommitPosition, parseLsn, InvalidLsnError } from './lsn';
export { type CapturedTable, readSlot, dropSlot, type SlotInfo } from './slot';
export type { CapturedTransaction } from './transaction-assembler';
export { KinesisSink, type KinesisSinkOptions } from './sinks/kinesis-sink';
export { S3Sink, type S3SinkOptions } from './sinks/s3-sink';

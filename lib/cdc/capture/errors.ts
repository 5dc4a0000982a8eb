/** Typed failures of the capture. */

/** The source is not set up for capture (wal_level, privileges, a table without primary key, a slot in use …). */
export class CaptureSetupError extends Error {
  override readonly name = 'CaptureSetupError';
}

/** The replication connection failed or closed while the capture was running. */
export class CaptureConnectionError extends Error {
  override readonly name = 'CaptureConnectionError';
}

/** The sink did not take a batch: the capture stopped without confirming it (it is delivered again on restart). */
export class CaptureSinkError extends Error {
  override readonly name = 'CaptureSinkError';
  constructor(
    message: string,
    /** Commit LSN of the first transaction of the batch that failed. */
    readonly firstCommitLsn: string | undefined,
    /** Changes in the failed batch. */
    readonly changes: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** `waitUntilCaughtUp` ran out of time. */
export class CaptureTimeoutError extends Error {
  override readonly name = 'CaptureTimeoutError';
}

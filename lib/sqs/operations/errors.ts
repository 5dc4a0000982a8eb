/** Typed failures of the queue operations. */

/** The queue named (by name, URL or ARN) does not exist, or is not visible to these credentials. */
export class QueueNotFoundError extends Error {
  override readonly name = 'QueueNotFoundError';
  constructor(readonly queue: string, options?: ErrorOptions) {
    super(`queue ${queue} does not exist`, options);
  }
}

/** No queue names this dead-letter queue in its redrive policy: say where to redrive with `destination`. */
export class NoSourceQueueError extends Error {
  override readonly name = 'NoSourceQueueError';
  constructor(readonly deadLetterQueueUrl: string) {
    super(`no queue uses ${deadLetterQueueUrl} as its dead-letter queue; name the destination (--to)`);
  }
}

/** Several queues share this dead-letter queue: which one a message came from is not recorded, so say where to redrive. */
export class AmbiguousSourceQueueError extends Error {
  override readonly name = 'AmbiguousSourceQueueError';
  constructor(readonly deadLetterQueueUrl: string, readonly sourceQueueUrls: readonly string[]) {
    super(`${sourceQueueUrls.length} queues use ${deadLetterQueueUrl} as their dead-letter queue (${sourceQueueUrls.join(', ')}); name the destination (--to)`);
  }
}

/** A FIFO dead-letter queue can only be redriven into a FIFO queue, a standard one into a standard one. */
export class RedriveQueueTypeMismatchError extends Error {
  override readonly name = 'RedriveQueueTypeMismatchError';
  constructor(readonly deadLetterQueueUrl: string, readonly destinationUrl: string) {
    super(`${deadLetterQueueUrl} and ${destinationUrl} are not both FIFO or both standard queues`);
  }
}

/**
 * Errors an endpoint gives for an action it does not implement (emulators, older SQS-compatible
 * services): AWS's own `UnsupportedOperation`, the JSON protocol's `InvalidAction` / `UnknownOperationException`.
 */
const UNSUPPORTED = new Set(['InvalidAction', 'UnsupportedOperation', 'UnknownOperationException', 'UnknownOperation', 'NotImplemented']);

export function isUnsupportedOperation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return UNSUPPORTED.has(error.name) || status === 501;
}

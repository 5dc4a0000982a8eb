/**
 * How the sink reads DynamoDB's errors (after the SDK's own retries): worth another try, a
 * rejected value, a failed condition, or something else.
 */

/** Options the sink cannot work with; thrown by the constructor. */
export class InvalidSinkOptionsError extends Error {
  override readonly name = 'InvalidSinkOptionsError';
}

/**
 * Throttling and server-side errors, retried by the sink with backoff. The SDK retries these a
 * few times itself; the sink's own bounded attempts ride out longer bursts before it reports
 * the records as transient failures. `TransactionConflictException`: the item is part of a
 * transaction in progress.
 */
export const RETRIABLE_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
]);

interface ServiceErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly $fault?: unknown;
}

export const errorName = (error: unknown): string =>
  typeof error === 'object' && error !== null && typeof (error as ServiceErrorShape).name === 'string' ? ((error as ServiceErrorShape).name as string) : 'Error';

export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Throttling or a 5xx: another attempt may succeed. */
export function isRetriable(error: unknown): boolean {
  return RETRIABLE_ERROR_NAMES.has(errorName(error)) || (typeof error === 'object' && error !== null && (error as ServiceErrorShape).$fault === 'server');
}

/** DynamoDB refused the request's content (an item too large, a number out of range, duplicate keys). */
export const isValidationError = (error: unknown): boolean => errorName(error) === 'ValidationException';

export const isConditionalCheckFailed = (error: unknown): boolean => errorName(error) === 'ConditionalCheckFailedException';

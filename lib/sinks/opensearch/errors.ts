/**
 * Failures of a bulk write that are not about particular documents: the sink throws these, so
 * the consumer fails the whole batch (Lambda retries it, and replays are idempotent).
 */

/**
 * OpenSearch rejected a whole `_bulk` request with a 4xx other than 413/429: a malformed
 * request, a missing permission (403), a wrong endpoint (404). A bug or a misconfiguration,
 * never the data, so retrying or dropping the documents would both be wrong.
 */
export class OpenSearchRequestRejectedError extends Error {
  override readonly name = 'OpenSearchRequestRejectedError';
  constructor(
    readonly statusCode: number,
    /** OpenSearch's error type, e.g. `security_exception`, or the status code when there is none. */
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

/** A `_bulk` response the sink cannot map back to its request (item count differs). */
export class OpenSearchBulkResponseError extends Error {
  override readonly name = 'OpenSearchBulkResponseError';
}

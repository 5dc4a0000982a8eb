/**
 * What a `_bulk` answer means for its documents, and what a failed `_bulk` call means for the
 * request. The rules follow OpenSearch's status codes:
 * - per item: 2xx written; 429 (`es_rejected_execution_exception`: the write queue is full),
 *   5xx (a shard unavailable, a node failing) and 409 (a version conflict, which the `index`
 *   action without versioning does not produce, but which a retry resolves if it ever does) are
 *   worth retrying; any other 4xx (`mapper_parsing_exception`,
 *   `strict_dynamic_mapping_exception`, `illegal_argument_exception`…) is about the document
 *   itself, and permanent.
 * - per request: connection errors, timeouts, 429 and 5xx are retried; 413 (the body exceeds
 *   `http.max_content_length`) means send less; any other 4xx is a bug or a misconfiguration.
 */
import type { Types } from '@opensearch-project/opensearch';
import { OpenSearchRequestRejectedError } from './errors';

type ErrorCause = Types.Common.ErrorCause;
type Item = Types.Core_Bulk.Item;

export type ItemOutcome =
  | { readonly kind: 'written' }
  | { readonly kind: 'retry' | 'permanent'; readonly code: string; readonly message: string };

/** `type: reason (caused by type: reason)`, as much of it as OpenSearch gave. */
export function describeCause(cause: ErrorCause | undefined, fallback: string): string {
  if (cause === undefined) return fallback;
  const reason = typeof cause.reason === 'string' && cause.reason !== '' ? cause.reason : cause.type;
  const inner = cause.caused_by;
  return inner === undefined ? reason : `${reason} (caused by ${inner.type}: ${inner.reason ?? ''})`;
}

const isRetryableStatus = (status: number): boolean => status === 429 || status === 409 || status >= 500;

/** The outcome of one item of a `_bulk` response. */
export function itemOutcome(item: Item): ItemOutcome {
  const result = item.index ?? item.create ?? item.update ?? item.delete;
  if (result === undefined) return { kind: 'retry', code: 'missing_item_result', message: `unrecognised bulk response item ${JSON.stringify(item)}` };
  const { status } = result;
  if (status >= 200 && status < 300) return { kind: 'written' };
  const code = result.error?.type ?? String(status);
  const message = describeCause(result.error, `status ${status}`);
  return { kind: isRetryableStatus(status) ? 'retry' : 'permanent', code, message };
}

export type RequestFailure =
  | { readonly kind: 'retry'; readonly code: string; readonly message: string }
  | { readonly kind: 'split'; readonly code: string; readonly message: string };

/** The client's errors that say nothing about the request's content: send it again. */
const RETRYABLE_CLIENT_ERRORS = new Set(['ConnectionError', 'TimeoutError', 'NoLivingConnectionsError', 'DeserializationError']);

interface ResponseErrorLike {
  readonly name: string;
  readonly message: string;
  readonly statusCode?: unknown;
  readonly body?: unknown;
}

function errorCauseOf(body: unknown): ErrorCause | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error === 'object' && error !== null && typeof (error as { type?: unknown }).type === 'string') return error as ErrorCause;
  return undefined;
}

/** Amazon's front end answers some statuses itself, with `{"Message": "..."}` or plain text. */
function plainMessageOf(body: unknown, fallback: string): string {
  if (typeof body === 'string' && body !== '') return body.slice(0, 500);
  if (typeof body === 'object' && body !== null) {
    const message = (body as { Message?: unknown; message?: unknown }).Message ?? (body as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return fallback;
}

/**
 * What a rejected `client.bulk` call means for its documents. Throws
 * {@link OpenSearchRequestRejectedError} for a 4xx other than 413/429, and rethrows errors that
 * are not the client's (a bug, a credentials failure).
 */
export function requestFailureOf(error: unknown): RequestFailure {
  if (!(error instanceof Error)) throw error;
  const candidate = error as ResponseErrorLike;
  if (RETRYABLE_CLIENT_ERRORS.has(candidate.name)) return { kind: 'retry', code: candidate.name, message: candidate.message };
  if (candidate.name !== 'ResponseError' || typeof candidate.statusCode !== 'number') throw error;
  const status = candidate.statusCode;
  const cause = errorCauseOf(candidate.body);
  const code = cause?.type ?? String(status);
  const message = cause !== undefined ? describeCause(cause, candidate.message) : plainMessageOf(candidate.body, candidate.message);
  if (status === 413) return { kind: 'split', code, message };
  if (status === 429 || status >= 500) return { kind: 'retry', code, message };
  throw new OpenSearchRequestRejectedError(status, code, `_bulk request rejected with ${status} ${code}: ${message}`);
}

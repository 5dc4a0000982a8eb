/**
 * OpenSearch's error responses, and the typed failures of the emulator itself.
 *
 * A REST error is `{ error: { root_cause: [...], type, reason, ...metadata, caused_by }, status }`.
 * The root cause is the innermost *OpenSearch* exception of the chain (a Java exception such as
 * `number_format_exception` stays a `caused_by`), as `OpenSearchException.guessRootCauses` does.
 * A few answers of the REST layer itself are simpler: `{ error: "text", status }`.
 * @see https://opensearch.org/docs/latest/api-reference/ (error responses)
 */
import type { JsonObject, JsonValue } from './json';

/** One link of an error chain. `java: true` marks exceptions that are not OpenSearch's own. */
export interface ErrorCause {
  readonly type: string;
  readonly reason: string;
  /** Extra members written after `reason` (e.g. `index`, `shard`, `index_uuid`). */
  readonly metadata?: Readonly<Record<string, JsonValue>>;
  readonly causedBy?: ErrorCause;
  readonly java?: boolean;
}

/** The JSON of one cause: `{ type, reason, ...metadata, caused_by? }`. */
export function causeToJson(cause: ErrorCause): JsonObject {
  return {
    type: cause.type,
    reason: cause.reason,
    ...cause.metadata,
    ...(cause.causedBy !== undefined ? { caused_by: causeToJson(cause.causedBy) } : {}),
  };
}

/** The root cause as OpenSearch guesses it (see the module comment). */
export function rootCauseOf(cause: ErrorCause): ErrorCause {
  let root = cause;
  while (cause.java !== true && root.causedBy !== undefined && root.causedBy.java !== true) root = root.causedBy;
  return { ...root, causedBy: undefined };
}

/** An error OpenSearch answers with a status and an error body. Thrown by handlers, written by the server. */
export class OpenSearchError extends Error implements ErrorCause {
  override readonly name: string = 'OpenSearchError';
  readonly metadata?: Readonly<Record<string, JsonValue>>;
  readonly causedBy?: ErrorCause;
  readonly java?: boolean;
  /** Overrides the computed `root_cause` list (e.g. a search phase failure lists its shard failures' causes). */
  readonly rootCauses?: readonly ErrorCause[];

  constructor(
    readonly status: number,
    readonly type: string,
    readonly reason: string,
    options: { metadata?: Readonly<Record<string, JsonValue>>; causedBy?: ErrorCause; java?: boolean; rootCauses?: readonly ErrorCause[] } = {},
  ) {
    super(`${type}: ${reason}`);
    this.metadata = options.metadata;
    this.causedBy = options.causedBy;
    this.java = options.java;
    this.rootCauses = options.rootCauses;
  }

  /** The whole response body. */
  toBody(): JsonObject {
    const roots = (this.rootCauses ?? [rootCauseOf(this)]).map(causeToJson);
    return { error: { root_cause: roots, ...causeToJson(this) }, status: this.status };
  }

  /** The error as a bulk item or shard failure shows it (no `root_cause`). */
  toCauseJson(): JsonObject {
    return causeToJson(this);
  }
}

/** An answer of the REST layer outside any handler: `{ error: "text", status }` (and headers such as `Allow`). */
export class RestLayerError extends Error {
  override readonly name = 'RestLayerError';
  constructor(
    readonly status: number,
    readonly text: string,
    readonly headers: Readonly<Record<string, string>> = {},
    /** `no handler found` answers carry no `status` member. */
    readonly withStatus = true,
  ) {
    super(text);
  }

  toBody(): JsonObject {
    return this.withStatus ? { error: this.text, status: this.status } : { error: this.text };
  }
}

/** An answer that is not OpenSearch's (Amazon's front end: SigV4 refusals, size limits): `{ Message }` or a custom body. */
export class FrontEndError extends Error {
  override readonly name = 'FrontEndError';
  constructor(
    readonly status: number,
    readonly body: JsonValue,
  ) {
    super(typeof body === 'object' && body !== null && !Array.isArray(body) && typeof body.Message === 'string' ? body.Message : `status ${status}`);
  }
}

/** The emulator could not start or stop. */
export class OpenSearchEmulatorError extends Error {
  override readonly name = 'OpenSearchEmulatorError';
}

/** A fault specification given to the emulator is unusable. */
export class InvalidFaultError extends Error {
  override readonly name = 'InvalidFaultError';
}

// ---- constructors of the errors OpenSearch gives most often ----

/** `illegal_argument_exception` (400), a Java exception. */
export const illegalArgument = (reason: string, causedBy?: ErrorCause): OpenSearchError =>
  new OpenSearchError(400, 'illegal_argument_exception', reason, { java: true, causedBy });

/** `action_request_validation_exception` (400): `Validation Failed: 1: ...;2: ...;`. */
export const validationFailed = (messages: readonly string[]): OpenSearchError =>
  new OpenSearchError(400, 'action_request_validation_exception', `Validation Failed: ${messages.map((m, i) => `${i + 1}: ${m};`).join('')}`);

/** `parsing_exception` (400). */
export const parsingError = (reason: string, causedBy?: ErrorCause): OpenSearchError => new OpenSearchError(400, 'parsing_exception', reason, { causedBy });

/** `index_not_found_exception` (404). */
export const indexNotFound = (index: string, resourceType: 'index_or_alias' | 'index_expression' = 'index_or_alias'): OpenSearchError =>
  new OpenSearchError(404, 'index_not_found_exception', `no such index [${index}]`, {
    metadata: { 'resource.type': resourceType, 'resource.id': index, index_uuid: '_na_', index },
  });

/** `invalid_index_name_exception` (400). */
export const invalidIndexName = (index: string, description: string): OpenSearchError =>
  new OpenSearchError(400, 'invalid_index_name_exception', `Invalid index name [${index}], ${description}`, { metadata: { index_uuid: '_na_', index } });

/** The `index`/`shard`/`index_uuid` members of errors raised inside a shard. */
export const shardMetadata = (index: string, uuid: string): Record<string, JsonValue> => ({ index, shard: '0', index_uuid: uuid });

/** `version_conflict_engine_exception` (409). */
export const versionConflict = (id: string, explanation: string, index: string, uuid: string): OpenSearchError =>
  new OpenSearchError(409, 'version_conflict_engine_exception', `[${id}]: version conflict, ${explanation}`, { metadata: shardMetadata(index, uuid) });

/** `document_missing_exception` (404), from `_update` without an upsert. */
export const documentMissing = (id: string, index: string, uuid: string): OpenSearchError =>
  new OpenSearchError(404, 'document_missing_exception', `[${id}]: document missing`, { metadata: shardMetadata(index, uuid) });

/** `mapper_parsing_exception` (400). */
export const mapperParsing = (reason: string, causedBy?: ErrorCause): OpenSearchError => new OpenSearchError(400, 'mapper_parsing_exception', reason, { causedBy });

/** A Java exception used as a `caused_by`. */
export const javaCause = (type: string, reason: string, causedBy?: ErrorCause): ErrorCause => ({ type, reason, java: true, causedBy });

/** `search_phase_execution_exception` (status of the shard failure): a query failed on every shard. */
export function searchPhaseFailure(index: string, failure: OpenSearchError): OpenSearchError {
  const shardCause = { ...failure.toCauseJson() };
  return new OpenSearchError(failure.status, 'search_phase_execution_exception', 'all shards failed', {
    metadata: { phase: 'query', grouped: true, failed_shards: [{ shard: 0, index, node: 'emulator-node', reason: shardCause }] },
    causedBy: failure.java === true ? failure : undefined,
    rootCauses: [rootCauseOf(failure)],
  });
}

/** `query_shard_exception` (400) naming the index, as a query that cannot be built on a shard fails. */
export const queryShardError = (reason: string, index: string, uuid: string, causedBy?: ErrorCause): OpenSearchError =>
  new OpenSearchError(400, 'query_shard_exception', reason, { metadata: { index, index_uuid: uuid }, causedBy });

/**
 * The write operations shared by the document APIs and `_bulk`: request validation with
 * OpenSearch's messages (`IndexRequest.validate`, `DocWriteRequest.validateSeqNoBasedCASParams`),
 * execution against an index (faults first, then the mapping, then the engine's version checks),
 * and the response of one write.
 */
import type { Cluster } from './cluster';
import { illegalArgument, OpenSearchError, validationFailed } from './errors';
import type { BulkAction, FaultRegistry } from './faults';
import { generateDocumentId, type IndexStore, type VersionType, type WriteResult } from './index-store';
import { isJsonObject, RawJson, type JsonObject, type JsonValue, type Serializable } from './json';
import { filterSource, type SourceFilter } from './source-filter';

/** One write, as the document APIs and `_bulk` lines describe it. */
export interface WriteOperation {
  readonly action: BulkAction;
  readonly index: string | undefined;
  readonly id: string | undefined;
  readonly version?: number;
  readonly versionType: VersionType;
  readonly ifSeqNo?: number;
  readonly ifPrimaryTerm?: number;
  readonly retryOnConflict?: number;
  /** `index`/`create`: the source text as sent (parsed per item, so a bad one fails only its item). */
  readonly sourceText?: string;
  /** `update`: the parsed update body. */
  readonly update?: UpdateBody;
  readonly pipeline?: string;
  /** `_source` of an update's response (`get` member). */
  readonly fetchSource?: SourceFilter;
}

export interface UpdateBody {
  readonly doc?: JsonObject;
  readonly upsert?: JsonObject;
  readonly docAsUpsert: boolean;
  readonly detectNoop: boolean;
  readonly hasScript: boolean;
  readonly source?: SourceFilter;
}

const MATCH_ANY = -3;
const MAX_ID_BYTES = 512;

/** The validation messages of one write (empty when valid). */
export function validateWrite(op: WriteOperation): string[] {
  const messages: string[] = [];
  if (op.index === undefined || op.index === '') messages.push('index is missing');
  const version = op.version ?? MATCH_ANY;
  if (op.action === 'update') {
    if (op.id === undefined) messages.push('id is missing');
    if (op.update !== undefined && !op.update.hasScript && op.update.doc === undefined) messages.push('script or doc is missing');
    if (op.update?.docAsUpsert === true && op.update.doc === undefined) messages.push('doc must be specified if doc_as_upsert is enabled');
  } else if (op.action === 'delete') {
    if (op.id === undefined || op.id === '') messages.push('id is missing');
  } else if (op.action === 'create') {
    if (op.versionType !== 'internal') return [...messages, 'create operations only support internal versioning. use index instead'];
    if (op.version !== undefined) return [...messages, 'create operations do not support explicit versions. use index instead'];
    if (op.ifSeqNo !== undefined || op.ifPrimaryTerm !== undefined) return [...messages, 'create operations do not support compare and set. use index instead'];
  }
  if (op.action === 'index' && op.id === undefined && (op.versionType !== 'internal' || op.version !== undefined)) {
    messages.push('an id must be provided if version type or value are set');
  }
  if (op.action !== 'update') {
    const valid = op.versionType === 'internal' ? version > 0 || version === MATCH_ANY : version >= 0;
    if (!valid) messages.push(`illegal version value [${version}] for version type [${op.versionType.toUpperCase()}]`);
    if (op.versionType === 'internal' && op.version !== undefined) {
      messages.push('internal versioning can not be used for optimistic concurrency control. Please use `if_seq_no` and `if_primary_term` instead');
    }
    if (op.ifSeqNo !== undefined && (op.versionType !== 'internal' || op.version !== undefined)) messages.push('compare and write operations can not use versioning');
  }
  if (op.ifPrimaryTerm === undefined && op.ifSeqNo !== undefined) messages.push('ifSeqNo is set, but primary term is [0]');
  if (op.ifPrimaryTerm !== undefined && op.ifSeqNo === undefined) messages.push(`ifSeqNo is unassigned, but primary term is [${op.ifPrimaryTerm}]`);
  if (op.id !== undefined) {
    const bytes = Buffer.byteLength(op.id, 'utf8');
    if (bytes > MAX_ID_BYTES) messages.push(`id [${op.id}] is too long, must be no longer than ${MAX_ID_BYTES} bytes but was: ${bytes}`);
  }
  if (op.pipeline === '') messages.push('pipeline cannot be an empty string');
  return messages;
}

/** Throws `action_request_validation_exception` for an invalid single write. */
export function assertValidWrite(op: WriteOperation): void {
  const messages = validateWrite(op);
  if (messages.length > 0) throw validationFailed(messages);
}

/** Parses an `_update` body (`doc`, `upsert`, `doc_as_upsert`, `detect_noop`, `_source`; scripts are refused when run). */
export function parseUpdateBody(body: JsonValue): UpdateBody {
  if (!isJsonObject(body)) throw new OpenSearchError(400, 'x_content_parse_exception', '[1:1] [UpdateRequest] Expected START_OBJECT but was: VALUE_STRING');
  for (const key of Object.keys(body)) {
    if (!['doc', 'upsert', 'doc_as_upsert', 'detect_noop', 'script', 'scripted_upsert', '_source'].includes(key)) {
      throw new OpenSearchError(400, 'x_content_parse_exception', `[1:2] [UpdateRequest] unknown field [${key}]`);
    }
  }
  const object = (key: 'doc' | 'upsert'): JsonObject | undefined => {
    const value = body[key];
    if (value === undefined || value === null) return undefined;
    if (!isJsonObject(value)) throw new OpenSearchError(400, 'x_content_parse_exception', `[1:2] [UpdateRequest] failed to parse field [${key}]`);
    return value;
  };
  return {
    doc: object('doc'),
    upsert: object('upsert'),
    docAsUpsert: body.doc_as_upsert === true,
    detectNoop: body.detect_noop !== false,
    hasScript: body.script !== undefined,
    source: body._source === undefined ? undefined : body._source === false ? { fetch: false, includes: [], excludes: [] } : { fetch: true, includes: typeof body._source === 'string' ? [body._source] : Array.isArray(body._source) ? body._source.map(String) : [], excludes: [] },
  };
}

/** Parses a document source; a bad one is this item's `mapper_parsing_exception`. */
export function parseSource(text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new OpenSearchError(400, 'mapper_parsing_exception', 'failed to parse', { causedBy: { type: 'json_parse_exception', reason: (error as Error).message, java: true } });
  }
  if (!isJsonObject(value)) {
    throw new OpenSearchError(400, 'mapper_parsing_exception', 'failed to parse', { causedBy: { type: 'not_x_content_exception', reason: 'Compressor detection can only be called on some xcontent bytes or compressed xcontent bytes', java: true } });
  }
  return value;
}

/** The outcome of one executed write. */
export interface WriteOutcome {
  readonly index: IndexStore;
  readonly result: WriteResult;
  /** For updates asked for `_source`: the `get` member. */
  readonly get?: Serializable;
}

/** Executes one validated write: faults, auto-creation, mapping, versioning. Throws {@link OpenSearchError}. */
export function executeWrite(cluster: Cluster, faults: FaultRegistry, op: WriteOperation): WriteOutcome {
  const indexName = op.index!;
  if (op.pipeline !== undefined && op.pipeline !== '_none') throw illegalArgument(`pipeline with id [${op.pipeline}] does not exist`);
  let document: JsonObject | undefined;
  if (op.action === 'index' || op.action === 'create') document = parseSource(op.sourceText ?? '');
  else if (op.action === 'update') document = op.update?.doc ?? op.update?.upsert;
  const info = { action: op.action, index: indexName, id: op.id, document };
  const injected = faults.bulkItemFault(info);
  if (injected !== undefined) throw injected;

  let index: IndexStore;
  if (op.action === 'delete' && op.versionType === 'internal') index = cluster.require(indexName, 'index_expression');
  else index = cluster.forWrite(indexName);

  if (op.id === '') throw illegalArgument('if _id is specified it must not be empty');
  const id = op.id ?? generateDocumentId();
  const mappingFault = faults.mappingFault(info, id);
  if (mappingFault !== undefined) throw mappingFault;

  const conditions = { version: op.version, versionType: op.versionType, ifSeqNo: op.ifSeqNo, ifPrimaryTerm: op.ifPrimaryTerm };
  switch (op.action) {
    case 'index':
    case 'create':
      return {
        index,
        result: index.index({ ...conditions, id, source: document!, sourceText: op.sourceText!, opType: op.action === 'create' || op.id === undefined ? 'create' : 'index' }),
      };
    case 'delete':
      return { index, result: index.delete(id, conditions) };
    case 'update': {
      const update = op.update!;
      if (update.hasScript) throw illegalArgument('the local OpenSearch emulator does not run scripts: [script] in an update is not supported');
      const result = index.update({ id, doc: update.doc, upsert: update.upsert, docAsUpsert: update.docAsUpsert, detectNoop: update.detectNoop, ifSeqNo: op.ifSeqNo, ifPrimaryTerm: op.ifPrimaryTerm });
      const filter = op.fetchSource ?? update.source;
      let get: Serializable | undefined;
      if (filter !== undefined && filter.fetch && result.document !== undefined) {
        const source = filter.includes.length === 0 && filter.excludes.length === 0 ? new RawJson(result.document.sourceText) : filterSource(result.document.source, filter);
        get = { _seq_no: result.seqNo, _primary_term: result.primaryTerm, found: true, _source: source };
      }
      return { index, result, get };
    }
  }
}

/** The JSON of a write response (single document APIs) or bulk item (with `status`). */
export function writeResultJson(outcome: WriteOutcome, options: { status?: boolean; forcedRefresh?: boolean } = {}): { [key: string]: Serializable | undefined } {
  const { index, result } = outcome;
  return {
    _index: index.name,
    _id: result.id,
    _version: result.version,
    result: result.result,
    ...(options.forcedRefresh === true && result.result !== 'noop' ? { forced_refresh: true } : {}),
    _shards: result.result === 'noop' ? { total: 0, successful: 0, failed: 0 } : index.shardsHeader(),
    _seq_no: result.seqNo,
    _primary_term: result.primaryTerm,
    ...(options.status === true ? { status: result.status } : {}),
    ...(outcome.get !== undefined ? { get: outcome.get } : {}),
  };
}

/**
 * Document endpoints: `_doc` (index, get, exists, delete), `_create`, `_update`, `_source`,
 * `_mget` and `_bulk`.
 * @see https://opensearch.org/docs/latest/api-reference/document-apis/index/
 */
import { executeBulk, parseBulkBody, validateBulk } from './bulk';
import { assertValidWrite, executeWrite, parseUpdateBody, writeResultJson, type WriteOperation } from './document-writes';
import { illegalArgument, OpenSearchError, validationFailed } from './errors';
import type { IndexStore, StoredDocument, VersionType } from './index-store';
import { isJsonObject, textOf, RawJson, type JsonObject, type Serializable } from './json';
import { applyRefresh, booleanParam, json, jsonBody, refreshPolicy, type RestRequest, type RestResponse, type Route } from './rest';
import { filterSource, isFilterTrivial, parseSourceFilter, sourceFilterFromParams, FETCH_ALL, type SourceFilter } from './source-filter';

const WRITE_PARAMS = ['refresh', 'routing', 'timeout', 'wait_for_active_shards', 'require_alias'];
const GET_PARAMS = ['preference', 'realtime', 'refresh', 'routing', 'stored_fields', '_source', '_source_includes', '_source_excludes', 'version', 'version_type'];

function longParam(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  if (!/^-?\d+$/.test(text)) throw illegalArgument(`Failed to parse long parameter [${name}] with value [${text}]`);
  return Number(text);
}

function versionTypeParam(query: URLSearchParams): VersionType {
  const text = query.get('version_type') ?? 'internal';
  if (text === 'internal' || text === 'external' || text === 'external_gte') return text;
  if (text === 'external_gt') return 'external';
  throw illegalArgument(`No version type match [${text}]`);
}

function conditionsOf(query: URLSearchParams) {
  const ifSeqNo = longParam(query, 'if_seq_no');
  if (ifSeqNo !== undefined && ifSeqNo < 0 && ifSeqNo !== -2) throw illegalArgument(`sequence numbers must be non negative. got [${ifSeqNo}].`);
  const ifPrimaryTerm = longParam(query, 'if_primary_term');
  if (ifPrimaryTerm !== undefined && ifPrimaryTerm < 0) throw illegalArgument(`primary term must be non negative. got [${ifPrimaryTerm}]`);
  return { version: longParam(query, 'version'), versionType: versionTypeParam(query), ifSeqNo, ifPrimaryTerm };
}

async function runWrite(request: RestRequest, op: WriteOperation, env: Parameters<Route['handle']>[1]): Promise<RestResponse> {
  assertValidWrite(op);
  const policy = refreshPolicy(request.query);
  const outcome = executeWrite(env.cluster, env.faults, op);
  await applyRefresh(policy, [outcome.index]);
  return json(outcome.result.status, writeResultJson(outcome, { forcedRefresh: policy === 'immediate' }));
}

function indexHandler(action: 'index' | 'create'): Route['handle'] {
  return (request, env) => {
    const index = request.pathParams.index!;
    const id = request.pathParams.id;
    if (request.body.length === 0) throw validationFailed(['source is missing', 'content type is missing']);
    const opType = request.query.get('op_type');
    if (opType !== null && opType !== 'create' && opType !== 'index') throw illegalArgument(`opType must be 'create' or 'index', found: [${opType}]`);
    const effective = action === 'create' || opType === 'create' ? 'create' : 'index';
    const pipeline = request.query.get('pipeline') ?? undefined;
    return runWrite(request, { action: effective, index, id, ...conditionsOf(request.query), sourceText: request.body.toString('utf8'), pipeline }, env);
  };
}

function sourceOf(document: StoredDocument, filter: SourceFilter): Serializable {
  return isFilterTrivial(filter) ? new RawJson(document.sourceText) : filterSource(document.source, filter);
}

/** The GET response body of one document (found or not). */
function getBody(index: IndexStore, id: string, document: StoredDocument | undefined, filter: SourceFilter): { [key: string]: Serializable | undefined } {
  if (document === undefined) return { _index: index.name, _id: id, found: false };
  return {
    _index: index.name,
    _id: id,
    _version: document.version,
    _seq_no: document.seqNo,
    _primary_term: document.primaryTerm,
    found: true,
    ...(filter.fetch && index.mapping.sourceEnabled ? { _source: sourceOf(document, filter) } : {}),
  };
}

function readDocument(request: RestRequest, index: IndexStore, id: string): StoredDocument | undefined {
  if (booleanParam(request.query, 'refresh', false)) index.refresh();
  const realtime = booleanParam(request.query, 'realtime', true);
  const document = realtime ? index.get(id) : [...index.searchableDocuments()].find((d) => d.id === id);
  const version = longParam(request.query, 'version');
  if (version !== undefined && document !== undefined && document.version !== version) {
    throw new OpenSearchError(409, 'version_conflict_engine_exception', `[${id}]: version conflict, current version [${document.version}] is different than the one provided [${version}]`, {
      metadata: { index: index.name, shard: '0', index_uuid: index.uuid },
    });
  }
  return document;
}

const getDocument: Route['handle'] = (request, env) => {
  const index = env.cluster.require(request.pathParams.index!, 'index_expression');
  const id = request.pathParams.id!;
  const document = readDocument(request, index, id);
  const filter = sourceFilterFromParams(request.query) ?? FETCH_ALL;
  if (request.method === 'HEAD') return { status: document === undefined ? 404 : 200 };
  return json(document === undefined ? 404 : 200, getBody(index, id, document, filter));
};

const getSource: Route['handle'] = (request, env) => {
  const index = env.cluster.require(request.pathParams.index!, 'index_expression');
  const id = request.pathParams.id!;
  const document = readDocument(request, index, id);
  if (document === undefined || !index.mapping.sourceEnabled) {
    if (request.method === 'HEAD') return { status: 404 };
    throw new OpenSearchError(404, 'resource_not_found_exception', `Document not found [${index.name}]/[${id}]`);
  }
  if (request.method === 'HEAD') return { status: 200 };
  return json(200, sourceOf(document, sourceFilterFromParams(request.query) ?? FETCH_ALL));
};

const deleteDocument: Route['handle'] = async (request, env) => {
  const op: WriteOperation = { action: 'delete', index: request.pathParams.index!, id: request.pathParams.id!, ...conditionsOf(request.query) };
  return runWrite(request, op, env);
};

const updateDocument: Route['handle'] = async (request, env) => {
  const body = jsonBody(request, true)!;
  const update = parseUpdateBody(body);
  const retryOnConflict = longParam(request.query, 'retry_on_conflict');
  const { ifSeqNo, ifPrimaryTerm } = conditionsOf(request.query);
  const op: WriteOperation = {
    action: 'update', index: request.pathParams.index!, id: request.pathParams.id!, versionType: 'internal', ifSeqNo, ifPrimaryTerm,
    retryOnConflict, update, fetchSource: sourceFilterFromParams(request.query),
  };
  return runWrite(request, op, env);
};

const mget: Route['handle'] = (request, env) => {
  const body = jsonBody(request, true)!;
  if (!isJsonObject(body)) throw new OpenSearchError(400, 'parse_exception', 'request body must be an object');
  const defaultIndex = request.pathParams.index;
  const defaultFilter = sourceFilterFromParams(request.query) ?? FETCH_ALL;
  let specs: JsonObject[];
  if (Array.isArray(body.docs)) specs = body.docs.filter(isJsonObject);
  else if (Array.isArray(body.ids)) specs = body.ids.map((id) => ({ _id: textOf(id) }));
  else throw new OpenSearchError(400, 'action_request_validation_exception', 'Validation Failed: 1: no documents to get;');
  const problems = specs.flatMap((spec, i) => [
    ...((spec._index ?? defaultIndex) === undefined ? [`index is missing for doc ${i}`] : []),
    ...(spec._id === undefined ? [`id is missing for doc ${i}`] : []),
  ]);
  if (problems.length > 0) throw validationFailed(problems);
  const docs = specs.map((spec): Serializable => {
    const name = textOf(spec._index ?? defaultIndex);
    const id = textOf(spec._id);
    const index = env.cluster.index(name);
    if (index === undefined) return { _index: name, _id: id, error: { root_cause: [], type: 'index_not_found_exception', reason: `no such index [${name}]`, 'resource.type': 'index_expression', 'resource.id': name, index_uuid: '_na_', index: name } };
    const filter = spec._source === undefined ? defaultFilter : parseSourceFilter(spec._source);
    return getBody(index, id, index.get(id), filter);
  });
  return json(200, { docs });
};

const bulk: Route['handle'] = async (request, env) => {
  const policy = refreshPolicy(request.query);
  const pipeline = request.query.get('pipeline');
  let operations = parseBulkBody(request.body.toString('utf8'), request.pathParams.index);
  if (pipeline !== null) operations = operations.map((op) => ({ ...op, pipeline: op.pipeline ?? pipeline }));
  validateBulk(operations);
  const result = executeBulk(env.cluster, env.faults, operations, { forcedRefresh: policy === 'immediate' });
  await applyRefresh(policy, result.touched);
  return json(200, result.body);
};

export const DOCUMENT_ROUTES: readonly Route[] = [
  { methods: ['POST', 'PUT'], path: '/_bulk', operation: 'bulk', params: [...WRITE_PARAMS, 'pipeline', '_source', '_source_includes', '_source_excludes', 'batch_size'], handle: bulk },
  { methods: ['POST', 'PUT'], path: '/{index}/_bulk', operation: 'bulk', params: [...WRITE_PARAMS, 'pipeline', '_source', '_source_includes', '_source_excludes', 'batch_size'], handle: bulk },
  { methods: ['PUT', 'POST'], path: '/{index}/_doc/{id}', operation: 'index', params: [...WRITE_PARAMS, 'op_type', 'version', 'version_type', 'if_seq_no', 'if_primary_term', 'pipeline'], handle: indexHandler('index') },
  { methods: ['POST'], path: '/{index}/_doc', operation: 'index', params: [...WRITE_PARAMS, 'op_type', 'version', 'version_type', 'if_seq_no', 'if_primary_term', 'pipeline'], handle: indexHandler('index') },
  { methods: ['GET', 'HEAD'], path: '/{index}/_doc/{id}', operation: 'get', params: GET_PARAMS, handle: getDocument },
  { methods: ['DELETE'], path: '/{index}/_doc/{id}', operation: 'delete', params: [...WRITE_PARAMS, 'version', 'version_type', 'if_seq_no', 'if_primary_term'], handle: deleteDocument },
  { methods: ['PUT', 'POST'], path: '/{index}/_create/{id}', operation: 'create', params: [...WRITE_PARAMS, 'version', 'version_type', 'pipeline'], handle: indexHandler('create') },
  { methods: ['POST'], path: '/{index}/_update/{id}', operation: 'update', params: [...WRITE_PARAMS, 'retry_on_conflict', 'if_seq_no', 'if_primary_term', '_source', '_source_includes', '_source_excludes', 'lang'], handle: updateDocument },
  { methods: ['GET', 'HEAD'], path: '/{index}/_source/{id}', operation: 'get_source', params: GET_PARAMS, handle: getSource },
  { methods: ['GET', 'POST'], path: '/_mget', operation: 'mget', params: GET_PARAMS, handle: mget },
  { methods: ['GET', 'POST'], path: '/{index}/_mget', operation: 'mget', params: GET_PARAMS, handle: mget },
];

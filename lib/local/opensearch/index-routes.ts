/**
 * Cluster, index, template, mapping, settings, refresh and search endpoints.
 * @see https://opensearch.org/docs/latest/api-reference/index-apis/index/
 */
import { illegalArgument, OpenSearchError } from './errors';
import type { IndexStore } from './index-store';
import { isJsonObject, type JsonObject } from './json';
import { mergeRootMappings, parseRootMapping, rootMappingToJson } from './mapping';
import { booleanParam, json, jsonBody, resolveOptionsOf, type RestRequest, type Route } from './rest';
import { executeCount, executeSearch, parseCountRequest, parseSearchRequest } from './search';
import { flattenSettings, nestSettings, validateSettings } from './settings';
import { parseIndexTemplate, TemplateRegistry } from './templates';

/** The OpenSearch version the emulator reports (`GET /`). */
export const EMULATED_VERSION = '2.19.0';

const MASTER_PARAMS = ['master_timeout', 'cluster_manager_timeout', 'timeout'];
const EXPAND_PARAMS = ['ignore_unavailable', 'allow_no_indices', 'expand_wildcards'];
const SEARCH_PARAMS = [
  ...EXPAND_PARAMS, 'from', 'size', 'sort', '_source', '_source_includes', '_source_excludes', 'track_total_hits', 'track_scores', 'rest_total_hits_as_int',
  'timeout', 'typed_keys', 'request_cache', 'search_type', 'preference', 'routing', 'seq_no_primary_term', 'version', 'terminate_after', 'allow_partial_search_results',
  'batched_reduce_size', 'ccs_minimize_roundtrips', 'max_concurrent_shard_requests', 'pre_filter_shard_size', 'stats', 'ignore_throttled', 'cancel_after_time_interval',
  'phase_took', 'include_named_queries_score', 'q', 'scroll', 'df', 'default_operator', 'analyzer', 'analyze_wildcard', 'lenient', 'explain', 'stored_fields',
  'docvalue_fields', 'suggest_field', 'search_pipeline',
];

function indexSettingsJson(index: IndexStore): JsonObject {
  return nestSettings({
    ...index.settings,
    'index.creation_date': String(index.creationDate),
    'index.provided_name': index.name,
    'index.uuid': index.uuid,
    'index.version.created': '136387927',
  });
}

const info: Route['handle'] = (request, env) =>
  request.method === 'HEAD'
    ? { status: 200 }
    : json(200, {
        name: 'shardline-opensearch-emulator',
        cluster_name: env.clusterName,
        cluster_uuid: env.clusterUuid,
        version: {
          distribution: 'opensearch',
          number: EMULATED_VERSION,
          build_type: 'tar',
          build_hash: 'local-emulator',
          build_date: '2025-02-10T00:00:00.000000Z',
          build_snapshot: false,
          lucene_version: '9.12.1',
          minimum_wire_compatibility_version: '7.10.0',
          minimum_index_compatibility_version: '7.0.0',
        },
        tagline: 'The OpenSearch Project: https://opensearch.org/',
      });

const health: Route['handle'] = (request, env) => {
  const indices = request.pathParams.index === undefined ? env.cluster.resolve(undefined) : env.cluster.resolve(request.pathParams.index, { resourceType: 'index_or_alias' });
  const primaries = indices.reduce((sum, i) => sum + i.numberOfShards, 0);
  const unassigned = indices.reduce((sum, i) => sum + i.numberOfShards * i.numberOfReplicas, 0);
  const total = primaries + unassigned;
  return json(200, {
    cluster_name: env.clusterName,
    status: unassigned > 0 ? 'yellow' : 'green',
    timed_out: false,
    number_of_nodes: 1,
    number_of_data_nodes: 1,
    discovered_master: true,
    discovered_cluster_manager: true,
    active_primary_shards: primaries,
    active_shards: primaries,
    relocating_shards: 0,
    initializing_shards: 0,
    unassigned_shards: unassigned,
    delayed_unassigned_shards: 0,
    number_of_pending_tasks: 0,
    number_of_in_flight_fetch: 0,
    task_max_waiting_in_queue_millis: 0,
    active_shards_percent_as_number: total === 0 ? 100 : (primaries / total) * 100,
  });
};

const createIndex: Route['handle'] = (request, env) => {
  const index = env.cluster.create(request.pathParams.index!, jsonBody(request));
  return json(200, { acknowledged: true, shards_acknowledged: true, index: index.name });
};

const indexExists: Route['handle'] = (request, env) => {
  const found = env.cluster.resolve(request.pathParams.index, { ...resolveOptionsOf(request.query, 'index_or_alias'), ignoreUnavailable: true });
  const names = request.pathParams.index!.split(',');
  const allConcretePresent = names.every((name) => name.includes('*') || name === '_all' || env.cluster.index(name) !== undefined);
  return { status: found.length > 0 && allConcretePresent ? 200 : 404 };
};

const getIndex: Route['handle'] = (request, env) => {
  const indices = env.cluster.resolve(request.pathParams.index, resolveOptionsOf(request.query, 'index_or_alias'));
  return json(200, Object.fromEntries(indices.map((index) => [index.name, { aliases: {}, mappings: rootMappingToJson(index.mapping), settings: indexSettingsJson(index) }])));
};

const deleteIndex: Route['handle'] = (request, env) => {
  const expression = request.pathParams.index!;
  if (expression === '_all' || expression === '*') throw illegalArgument('Wildcard expressions or all indices are not allowed');
  const indices = env.cluster.resolve(expression, resolveOptionsOf(request.query, 'index_or_alias'));
  for (const index of indices) env.cluster.delete(index.name);
  return json(200, { acknowledged: true });
};

const getMapping: Route['handle'] = (request, env) => {
  const indices = env.cluster.resolve(request.pathParams.index, resolveOptionsOf(request.query, 'index_or_alias'));
  return json(200, Object.fromEntries(indices.map((index) => [index.name, { mappings: rootMappingToJson(index.mapping) }])));
};

const putMapping: Route['handle'] = (request, env) => {
  const body = jsonBody(request, true)!;
  if (!isJsonObject(body)) throw new OpenSearchError(400, 'parse_exception', 'request body must be an object');
  const incoming = parseRootMapping(body);
  const indices = env.cluster.resolve(request.pathParams.index, { ...resolveOptionsOf(request.query, 'index_or_alias'), allowNoIndices: false });
  // Validate against every index before changing any, as the cluster-state update is all or nothing.
  const merged = indices.map((index) => mergeRootMappings(index.mapping, incoming, 'update'));
  indices.forEach((index, i) => (index.mapping = merged[i]!));
  return json(200, { acknowledged: true });
};

const getSettings: Route['handle'] = (request, env) => {
  const indices = env.cluster.resolve(request.pathParams.index, resolveOptionsOf(request.query, 'index_or_alias'));
  return json(200, Object.fromEntries(indices.map((index) => [index.name, { settings: indexSettingsJson(index) }])));
};

const putSettings: Route['handle'] = (request, env) => {
  const body = jsonBody(request, true)!;
  const settings = flattenSettings(isJsonObject(body) && isJsonObject(body.settings) ? body.settings : body);
  validateSettings(settings, { dynamicOnly: true });
  const indices = env.cluster.resolve(request.pathParams.index, resolveOptionsOf(request.query, 'index_or_alias'));
  for (const index of indices) {
    index.settings = { ...index.settings, ...settings };
    if (settings['index.refresh_interval'] !== undefined) index.scheduleRefresh();
  }
  return json(200, { acknowledged: true });
};

const refresh: Route['handle'] = (request, env) => {
  const indices = env.cluster.resolve(request.pathParams.index, resolveOptionsOf(request.query, 'index_expression'));
  let total = 0;
  let successful = 0;
  for (const index of indices) {
    index.refresh();
    total += index.numberOfShards * (1 + index.numberOfReplicas);
    successful += index.numberOfShards;
  }
  return json(200, { _shards: { total, successful, failed: 0 } });
};

const search: Route['handle'] = (request, env) => {
  const parsed = parseSearchRequest(jsonBody(request), request.query);
  const indices = env.cluster.resolve(request.pathParams.index, resolveOptionsOf(request.query, 'index_expression'));
  return json(200, executeSearch(indices, parsed));
};

const count: Route['handle'] = (request, env) => {
  const parsed = parseCountRequest(jsonBody(request), request.query);
  const indices = env.cluster.resolve(request.pathParams.index, resolveOptionsOf(request.query, 'index_expression'));
  return json(200, executeCount(indices, parsed));
};

const putTemplate: Route['handle'] = (request, env) => {
  const name = request.pathParams.name!;
  const template = parseIndexTemplate(name, jsonBody(request, true)!);
  env.cluster.templates.put(template, { create: booleanParam(request.query, 'create', false) });
  return json(200, { acknowledged: true });
};

const getTemplate: Route['handle'] = (request: RestRequest, env) => {
  const name = request.pathParams.name;
  const found = env.cluster.templates.find(name);
  if (request.method === 'HEAD') return { status: found.length > 0 ? 200 : 404 };
  if (name !== undefined && !name.includes('*') && found.length === 0) {
    throw new OpenSearchError(404, 'resource_not_found_exception', `index template matching [${name}] not found`);
  }
  return json(200, { index_templates: found.map((template) => TemplateRegistry.toJson(template)) });
};

const deleteTemplate: Route['handle'] = (request, env) => {
  const name = request.pathParams.name!;
  if (!env.cluster.templates.delete(name)) throw new OpenSearchError(404, 'index_template_missing_exception', `index_template [${name}] missing`);
  return json(200, { acknowledged: true });
};

/** `_cat/indices`: a text table, or JSON with `format=json`. */
const catIndices: Route['handle'] = (request, env) => {
  const indices = env.cluster.resolve(request.pathParams.index, resolveOptionsOf(request.query, 'index_or_alias'));
  const rows = indices.map((index) => ({
    health: index.numberOfReplicas > 0 ? 'yellow' : 'green',
    status: 'open',
    index: index.name,
    uuid: index.uuid,
    pri: String(index.numberOfShards),
    rep: String(index.numberOfReplicas),
    'docs.count': String(index.searchableCount),
    'docs.deleted': '0',
  }));
  if (request.query.get('format') === 'json') return json(200, rows);
  const header = booleanParam(request.query, 'v', false);
  const columns = ['health', 'status', 'index', 'uuid', 'pri', 'rep', 'docs.count', 'docs.deleted'] as const;
  const lines = [...(header ? [columns.join(' ')] : []), ...rows.map((row) => columns.map((c) => row[c]).join(' '))];
  return { status: 200, text: lines.map((l) => `${l}\n`).join(''), headers: { 'content-type': 'text/plain; charset=UTF-8' } };
};

/** Well-known endpoints the emulator does not implement: refused by name rather than misrouted. */
const NOT_IMPLEMENTED = [
  '/{index}/_delete_by_query', '/{index}/_update_by_query', '/_reindex', '/_msearch', '/{index}/_msearch', '/_search/scroll', '/_aliases', '/{index}/_alias/{name}',
  '/_analyze', '/{index}/_analyze', '/{index}/_forcemerge', '/_flush', '/{index}/_flush', '/_stats', '/{index}/_stats', '/{index}/_field_caps', '/_field_caps',
  '/{index}/_explain/{id}', '/{index}/_validate/query', '/_component_template/{name}', '/_component_template', '/_template/{name}', '/_template',
  '/_ingest/pipeline/{id}', '/_ingest/pipeline', '/{index}/_rollover', '/{index}/_open', '/{index}/_close', '/_data_stream/{name}', '/_nodes', '/_tasks',
  '/_cluster/settings', '/_cluster/state', '/{index}/_search/point_in_time', '/_search/point_in_time',
].map((path): Route => ({
  methods: ['GET', 'POST', 'PUT', 'DELETE', 'HEAD'],
  path,
  operation: 'not_implemented',
  params: ['*'],
  handle: (request) => {
    throw illegalArgument(`the local OpenSearch emulator does not implement [${request.method} ${path}]`);
  },
}));

export const INDEX_ROUTES: readonly Route[] = [
  { methods: ['GET', 'HEAD'], path: '/', operation: 'info', params: [], handle: info },
  { methods: ['GET'], path: '/_cluster/health', operation: 'cluster.health', params: ['level', 'local', 'wait_for_active_shards', 'wait_for_nodes', 'wait_for_events', 'wait_for_no_relocating_shards', 'wait_for_no_initializing_shards', 'wait_for_status', 'awareness_attribute', ...EXPAND_PARAMS, ...MASTER_PARAMS], handle: health },
  { methods: ['GET'], path: '/_cluster/health/{index}', operation: 'cluster.health', params: ['level', 'local', 'wait_for_active_shards', 'wait_for_nodes', 'wait_for_events', 'wait_for_no_relocating_shards', 'wait_for_no_initializing_shards', 'wait_for_status', 'awareness_attribute', ...EXPAND_PARAMS, ...MASTER_PARAMS], handle: health },
  { methods: ['PUT'], path: '/{index}', operation: 'indices.create', params: ['wait_for_active_shards', ...MASTER_PARAMS], handle: createIndex },
  { methods: ['HEAD'], path: '/{index}', operation: 'indices.exists', params: [...EXPAND_PARAMS, 'local', 'flat_settings', 'include_defaults', ...MASTER_PARAMS], handle: indexExists },
  { methods: ['GET'], path: '/{index}', operation: 'indices.get', params: [...EXPAND_PARAMS, 'local', 'flat_settings', 'include_defaults', ...MASTER_PARAMS], handle: getIndex },
  { methods: ['DELETE'], path: '/{index}', operation: 'indices.delete', params: [...EXPAND_PARAMS, ...MASTER_PARAMS], handle: deleteIndex },
  { methods: ['GET'], path: '/_mapping', operation: 'indices.get_mapping', params: [...EXPAND_PARAMS, 'local', ...MASTER_PARAMS], handle: getMapping },
  { methods: ['GET'], path: '/{index}/_mapping', operation: 'indices.get_mapping', params: [...EXPAND_PARAMS, 'local', ...MASTER_PARAMS], handle: getMapping },
  { methods: ['PUT', 'POST'], path: '/{index}/_mapping', operation: 'indices.put_mapping', params: [...EXPAND_PARAMS, 'write_index_only', ...MASTER_PARAMS], handle: putMapping },
  { methods: ['GET'], path: '/_settings', operation: 'indices.get_settings', params: [...EXPAND_PARAMS, 'local', 'flat_settings', 'include_defaults', ...MASTER_PARAMS], handle: getSettings },
  { methods: ['GET'], path: '/{index}/_settings', operation: 'indices.get_settings', params: [...EXPAND_PARAMS, 'local', 'flat_settings', 'include_defaults', ...MASTER_PARAMS], handle: getSettings },
  { methods: ['PUT'], path: '/{index}/_settings', operation: 'indices.put_settings', params: [...EXPAND_PARAMS, 'flat_settings', 'preserve_existing', ...MASTER_PARAMS], handle: putSettings },
  { methods: ['GET', 'POST'], path: '/_refresh', operation: 'indices.refresh', params: EXPAND_PARAMS, handle: refresh },
  { methods: ['GET', 'POST'], path: '/{index}/_refresh', operation: 'indices.refresh', params: EXPAND_PARAMS, handle: refresh },
  { methods: ['GET', 'POST'], path: '/_search', operation: 'search', params: SEARCH_PARAMS, handle: search },
  { methods: ['GET', 'POST'], path: '/{index}/_search', operation: 'search', params: SEARCH_PARAMS, handle: search },
  { methods: ['GET', 'POST'], path: '/_count', operation: 'count', params: [...EXPAND_PARAMS, 'min_score', 'preference', 'routing', 'q', 'analyzer', 'analyze_wildcard', 'default_operator', 'df', 'lenient', 'terminate_after', 'ignore_throttled'], handle: count },
  { methods: ['GET', 'POST'], path: '/{index}/_count', operation: 'count', params: [...EXPAND_PARAMS, 'min_score', 'preference', 'routing', 'q', 'analyzer', 'analyze_wildcard', 'default_operator', 'df', 'lenient', 'terminate_after', 'ignore_throttled'], handle: count },
  { methods: ['PUT', 'POST'], path: '/_index_template/{name}', operation: 'indices.put_index_template', params: ['create', 'cause', ...MASTER_PARAMS], handle: putTemplate },
  { methods: ['GET', 'HEAD'], path: '/_index_template/{name}', operation: 'indices.get_index_template', params: ['flat_settings', 'local', ...MASTER_PARAMS], handle: getTemplate },
  { methods: ['GET'], path: '/_index_template', operation: 'indices.get_index_template', params: ['flat_settings', 'local', ...MASTER_PARAMS], handle: getTemplate },
  { methods: ['DELETE'], path: '/_index_template/{name}', operation: 'indices.delete_index_template', params: MASTER_PARAMS, handle: deleteTemplate },
  { methods: ['GET'], path: '/_cat/indices', operation: 'cat.indices', params: ['format', 'v', 'h', 's', 'help', 'bytes', 'health', 'pri', 'expand_wildcards', 'local', ...MASTER_PARAMS], handle: catIndices },
  { methods: ['GET'], path: '/_cat/indices/{index}', operation: 'cat.indices', params: ['format', 'v', 'h', 's', 'help', 'bytes', 'health', 'pri', 'expand_wildcards', 'local', ...MASTER_PARAMS], handle: catIndices },
  ...NOT_IMPLEMENTED,
];

/**
 * `_search` and `_count` over the refreshed state of one or more indices: query, `from`/`size`
 * (within `index.max_result_window`), `sort` on fields (`asc`/`desc`, `missing`,
 * `unmapped_type`, `mode`), `_score` and `_doc`, `search_after`, `_source` filtering,
 * `track_total_hits`, `min_score`, `post_filter`, `version` and `seq_no_primary_term`.
 * Aggregations, highlighting, scroll and the other search features are refused with a 400.
 * @see https://opensearch.org/docs/latest/api-reference/search/
 */
import { OpenSearchError, illegalArgument, parsingError, queryShardError, searchPhaseFailure } from './errors';
import type { IndexStore, StoredDocument } from './index-store';
import { isJsonObject, textOf, RawJson, type JsonObject, type JsonValue, type Serializable } from './json';
import { leafAt, type LeafField } from './mapping';
import { compileQuery, parseQuery, type Matcher, type QueryNode } from './query';
import { filterSource, isFilterTrivial, parseSourceFilter, sourceFilterFromParams, type SourceFilter } from './source-filter';

interface SortSpec {
  readonly field: string;
  readonly order: 'asc' | 'desc';
  /** `_last` (default), `_first`, or a value to sort missing fields as. */
  readonly missing: JsonValue;
  readonly unmappedType?: string;
  readonly mode?: 'min' | 'max' | 'sum' | 'avg' | 'median';
}

/** A parsed search request (body and query parameters together). */
export interface SearchRequest {
  readonly query: QueryNode;
  readonly postFilter?: QueryNode;
  readonly from: number;
  readonly size: number;
  readonly sort?: readonly SortSpec[];
  readonly searchAfter?: readonly JsonValue[];
  readonly source: SourceFilter;
  /** `true` (exact), `false` (none), or the count up to which totals are exact. */
  readonly trackTotalHits: boolean | number;
  readonly totalAsInt: boolean;
  readonly trackScores: boolean;
  readonly minScore?: number;
  readonly version: boolean;
  readonly seqNoPrimaryTerm: boolean;
}

const UNSUPPORTED_SEARCH_KEYS = new Set([
  'aggs', 'aggregations', 'highlight', 'suggest', 'collapse', 'rescore', 'script_fields', 'pit', 'indices_boost', 'docvalue_fields', 'stored_fields',
  'fields', 'explain', 'slice', 'runtime_mappings', 'ext', 'knn', 'derived', 'search_pipeline', 'verbose_pipeline',
]);
const SEARCH_KEYS = new Set(['query', 'from', 'size', 'sort', '_source', 'track_total_hits', 'track_scores', 'search_after', 'min_score', 'post_filter', 'version', 'seq_no_primary_term', 'timeout', 'terminate_after', 'profile', 'stats', 'include_named_queries_score']);

const UNSUPPORTED_SEARCH_PARAMS = ['q', 'scroll', 'df', 'default_operator', 'analyzer', 'analyze_wildcard', 'lenient', 'explain', 'stored_fields', 'docvalue_fields', 'suggest_field', 'search_pipeline'];

const tokenName = (value: JsonValue): string =>
  value === null ? 'VALUE_NULL' : Array.isArray(value) ? 'START_ARRAY' : isJsonObject(value) ? 'START_OBJECT' : typeof value === 'string' ? 'VALUE_STRING' : typeof value === 'boolean' ? 'VALUE_BOOLEAN' : 'VALUE_NUMBER';

function integerOf(value: JsonValue | string | null | undefined, name: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number)) throw parsingError(`[${name}] must be an integer, got [${textOf(value)}]`);
  return number;
}

function parseSortEntry(entry: JsonValue): SortSpec {
  if (typeof entry === 'string') return { field: entry, order: entry === '_score' ? 'desc' : 'asc', missing: '_last' };
  if (!isJsonObject(entry) || Object.keys(entry).length !== 1) throw parsingError('[sort] malformed: expected a field name or an object with one field');
  const [field, spec] = Object.entries(entry)[0]!;
  const defaultOrder = field === '_score' ? 'desc' : 'asc';
  if (typeof spec === 'string') {
    if (spec !== 'asc' && spec !== 'desc') throw illegalArgument(`Unknown SortOrder [${spec}]`);
    return { field, order: spec, missing: '_last' };
  }
  if (!isJsonObject(spec)) throw parsingError(`[${field}] sort malformed`);
  for (const key of Object.keys(spec)) {
    if (!['order', 'missing', 'unmapped_type', 'mode', 'numeric_type', 'format'].includes(key)) throw parsingError(`[field_sort] unknown field [${key}]`);
  }
  const order = spec.order ?? defaultOrder;
  if (order !== 'asc' && order !== 'desc') throw illegalArgument(`Unknown SortOrder [${textOf(order)}]`);
  const mode = spec.mode as SortSpec['mode'];
  if (mode !== undefined && !['min', 'max', 'sum', 'avg', 'median'].includes(mode)) throw illegalArgument(`Unknown SortMode [${String(mode)}]`);
  return { field, order, missing: spec.missing ?? '_last', unmappedType: typeof spec.unmapped_type === 'string' ? spec.unmapped_type : undefined, mode };
}

/** `sort` in a body (a string, an object or a list of them) or the `sort` parameter (`field:desc,other`). */
function parseSort(value: JsonValue | undefined, param: string | null): SortSpec[] | undefined {
  if (param !== null && param !== '') {
    return param.split(',').map((part) => {
      const [field, order] = part.split(':');
      return parseSortEntry(order === undefined ? field! : { [field!]: order });
    });
  }
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).map(parseSortEntry);
}

function parseTrackTotalHits(value: JsonValue | string | null | undefined): boolean | number {
  if (value === undefined || value === null) return 10_000;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  const number = Number(value);
  if (!Number.isInteger(number) || number < -1) throw illegalArgument(`[track_total_hits] parameter must be positive or equals to -1, got ${textOf(value)}`);
  return number === -1 ? true : number;
}

/** Parses a `_search` request. Throws 400 (`parsing_exception`, `illegal_argument_exception`). */
export function parseSearchRequest(body: JsonValue | undefined, params: URLSearchParams): SearchRequest {
  for (const name of UNSUPPORTED_SEARCH_PARAMS) {
    if (params.has(name)) throw illegalArgument(`the local OpenSearch emulator does not support the [${name}] parameter of _search`);
  }
  const request = body === undefined || body === null ? {} : body;
  if (!isJsonObject(request)) throw parsingError(`Unknown key for a ${tokenName(request)} in [_na].`);
  for (const [key, value] of Object.entries(request)) {
    if (UNSUPPORTED_SEARCH_KEYS.has(key)) throw parsingError(`[${key}] is not supported by the local OpenSearch emulator`);
    if (!SEARCH_KEYS.has(key)) throw parsingError(`Unknown key for a ${tokenName(value)} in [${key}].`);
  }
  const totalAsInt = params.get('rest_total_hits_as_int') === 'true';
  const from = integerOf(params.get('from') ?? request.from, 'from', 0);
  const size = integerOf(params.get('size') ?? request.size, 'size', 10);
  if (from < 0) throw illegalArgument(`[from] parameter cannot be negative, found [${from}]`);
  if (size < 0) throw illegalArgument(`[size] parameter cannot be negative, found [${size}]`);
  const searchAfter = request.search_after;
  if (searchAfter !== undefined && !Array.isArray(searchAfter)) throw parsingError('[search_after] must be an array');
  const minScore = request.min_score;
  return {
    query: request.query === undefined ? { kind: 'match_all', boost: 1 } : parseQuery(request.query),
    postFilter: request.post_filter === undefined ? undefined : parseQuery(request.post_filter),
    from,
    size,
    sort: parseSort(request.sort, params.get('sort')),
    searchAfter,
    source: sourceFilterFromParams(params) ?? parseSourceFilter(request._source),
    trackTotalHits: totalAsInt ? true : parseTrackTotalHits(params.get('track_total_hits') ?? request.track_total_hits),
    totalAsInt,
    trackScores: request.track_scores === true || params.get('track_scores') === 'true',
    minScore: typeof minScore === 'number' ? minScore : undefined,
    version: request.version === true || params.get('version') === 'true',
    seqNoPrimaryTerm: request.seq_no_primary_term === true || params.get('seq_no_primary_term') === 'true',
  };
}

interface Hit {
  readonly index: IndexStore;
  readonly doc: StoredDocument;
  readonly score: number;
  /** Position in index order (`_doc`), across indices in resolution order. */
  readonly order: number;
  sortValues?: Serializable[];
  sortKeys?: (number | string | undefined)[];
}

const LONG_MAX = new RawJson('9223372036854775807');
const LONG_MIN = new RawJson('-9223372036854775808');
const TEXT_FIELDDATA_REASON = (field: string): string =>
  `Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [${field}] in order to load field data by uninverting the inverted index. Note that this can use significant memory.`;

/** How one sort field reads documents of one index. */
interface SortReader {
  readonly kind: 'number' | 'string';
  readonly integral: boolean;
  read(hit: Hit): number | string | undefined;
}

function sortReader(spec: SortSpec, index: IndexStore): SortReader {
  if (spec.field === '_score') return { kind: 'number', integral: false, read: (hit) => hit.score };
  if (spec.field === '_doc') return { kind: 'number', integral: true, read: (hit) => hit.order };
  if (spec.field === '_id') return { kind: 'string', integral: false, read: (hit) => hit.doc.id };
  if (spec.field === '_index') return { kind: 'string', integral: false, read: () => index.name };
  const field: LeafField | undefined = leafAt(index.mapping, spec.field);
  if (field === undefined) {
    if (spec.unmappedType === undefined) throw searchPhaseFailure(index.name, queryShardError(`No mapping found for [${spec.field}] in order to sort on`, index.name, index.uuid));
    const kind = ['keyword', 'text'].includes(spec.unmappedType) ? 'string' : 'number';
    return { kind, integral: kind === 'number' && !['double', 'float'].includes(spec.unmappedType), read: () => undefined };
  }
  if (field.type === 'text' && !field.fielddata) throw searchPhaseFailure(index.name, illegalArgument(TEXT_FIELDDATA_REASON(spec.field)));
  const kind = field.type === 'keyword' || field.type === 'text' ? 'string' : 'number';
  const integral = !['double', 'float', 'keyword', 'text'].includes(field.type);
  return {
    kind,
    integral,
    read: (hit) => {
      const raw = hit.doc.fields.get(spec.field)?.values ?? [];
      if (raw.length === 0) return undefined;
      const values = raw.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
      const mode = spec.mode ?? (spec.order === 'asc' ? 'min' : 'max');
      if (kind === 'string') {
        const sorted = [...(values as string[])].sort();
        return mode === 'max' ? sorted[sorted.length - 1] : sorted[0];
      }
      const numbers = values as number[];
      switch (mode) {
        case 'min': return Math.min(...numbers);
        case 'max': return Math.max(...numbers);
        case 'sum': return numbers.reduce((a, b) => a + b, 0);
        case 'avg': return numbers.reduce((a, b) => a + b, 0) / numbers.length;
        case 'median': {
          const sorted = [...numbers].sort((a, b) => a - b);
          const mid = Math.floor(sorted.length / 2);
          return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
        }
      }
    },
  };
}

/** The sort value a response shows for a missing field, and the key it sorts by. */
function missingSortValue(spec: SortSpec, reader: SortReader): { shown: Serializable; key: number | string | undefined } {
  const first = spec.missing === '_first';
  if (spec.missing !== '_last' && spec.missing !== '_first') {
    const value = spec.missing;
    const key = reader.kind === 'number' ? Number(value) : textOf(value);
    return { shown: value, key };
  }
  // Missing values go last (or first) whatever the order: the key is the extreme in sort direction.
  const high = (spec.order === 'asc') !== first;
  if (reader.kind === 'string') return { shown: null, key: undefined };
  if (reader.integral) return { shown: high ? LONG_MAX : LONG_MIN, key: high ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY };
  return { shown: high ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY, key: high ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY };
}

function compareKeys(a: number | string | undefined, b: number | string | undefined, spec: SortSpec): number {
  if (a === b) return 0;
  // Only string fields leave keys undefined (missing): they go last, or first with `_first`.
  if (a === undefined) return spec.missing === '_first' ? -1 : 1;
  if (b === undefined) return spec.missing === '_first' ? 1 : -1;
  const base = a < b ? -1 : 1;
  return spec.order === 'asc' ? base : -base;
}

/** Executes a search over the given indices' refreshed documents. */
export function executeSearch(indices: readonly IndexStore[], request: SearchRequest, now: number = Date.now()): { readonly [key: string]: Serializable } {
  const started = performance.now();
  const hits: Hit[] = [];
  let order = 0;
  let shards = 0;
  const maxWindow = Math.min(...indices.map((i) => i.maxResultWindow), 10_000);
  if (indices.length > 0 && request.from + request.size > maxWindow) {
    throw searchPhaseFailure(
      indices[0]!.name,
      illegalArgument(`Result window is too large, from + size must be less than or equal to: [${maxWindow}] but was [${request.from + request.size}]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.`),
    );
  }
  for (const index of indices) {
    shards += index.numberOfShards;
    let matcher: Matcher;
    let postFilter: Matcher | undefined;
    try {
      matcher = compileQuery(request.query, index, now);
      postFilter = request.postFilter === undefined ? undefined : compileQuery(request.postFilter, index, now);
    } catch (error) {
      if (error instanceof OpenSearchError && error.type === 'query_shard_exception') throw searchPhaseFailure(index.name, error);
      throw error;
    }
    for (const doc of index.searchableDocuments()) {
      const position = order++;
      const score = matcher(doc);
      if (score === undefined) continue;
      if (postFilter !== undefined && postFilter(doc) === undefined) continue;
      if (request.minScore !== undefined && score < request.minScore) continue;
      hits.push({ index, doc, score, order: position });
    }
  }

  const sort = request.sort;
  const sortsByScoreOnly = sort === undefined || (sort.length === 1 && sort[0]!.field === '_score' && sort[0]!.order === 'desc');
  if (sort === undefined) {
    hits.sort((a, b) => b.score - a.score || a.order - b.order);
  } else {
    const readers = new Map<IndexStore, SortReader[]>();
    for (const index of indices) readers.set(index, sort.map((spec) => sortReader(spec, index)));
    for (const hit of hits) {
      const forIndex = readers.get(hit.index)!;
      hit.sortKeys = [];
      hit.sortValues = [];
      sort.forEach((spec, i) => {
        const reader = forIndex[i]!;
        const value = reader.read(hit);
        if (value === undefined) {
          const missing = missingSortValue(spec, reader);
          hit.sortKeys!.push(missing.key);
          hit.sortValues!.push(missing.shown);
        } else {
          hit.sortKeys!.push(value);
          hit.sortValues!.push(value);
        }
      });
    }
    hits.sort((a, b) => {
      for (let i = 0; i < sort.length; i++) {
        const c = compareKeys(a.sortKeys![i], b.sortKeys![i], sort[i]!);
        if (c !== 0) return c;
      }
      return a.order - b.order;
    });
  }

  let window = hits;
  if (request.searchAfter !== undefined) {
    if (sort === undefined) throw illegalArgument('Sort must contain at least one field.');
    if (request.searchAfter.length !== sort.length) {
      throw illegalArgument(`search_after has ${request.searchAfter.length} value(s) but sort has ${sort.length}.`);
    }
    const after = request.searchAfter.map((v) => (typeof v === 'number' || typeof v === 'string' ? v : v === null ? undefined : textOf(v)));
    window = hits.filter((hit) => {
      for (let i = 0; i < sort.length; i++) {
        const key = hit.sortKeys![i];
        const bound = typeof after[i] === 'string' && typeof key === 'number' ? Number(after[i]) : after[i];
        const c = compareKeys(key, bound, sort[i]!);
        if (c !== 0) return c > 0;
      }
      return false;
    });
  }

  const page = window.slice(request.from, request.from + request.size);
  const showScores = sortsByScoreOnly || request.trackScores;
  const total = hits.length;
  let totalJson: Serializable | undefined;
  if (request.trackTotalHits === true) totalJson = request.totalAsInt ? total : { value: total, relation: 'eq' };
  else if (typeof request.trackTotalHits === 'number') {
    const limit = request.trackTotalHits;
    totalJson = total > limit ? { value: limit, relation: 'gte' } : { value: total, relation: 'eq' };
  }
  const maxScore = showScores && hits.length > 0 ? Math.max(...hits.map((h) => h.score)) : null;
  return {
    took: Math.round(performance.now() - started),
    timed_out: false,
    _shards: { total: shards, successful: shards, skipped: 0, failed: 0 },
    hits: {
      ...(totalJson !== undefined ? { total: totalJson } : {}),
      max_score: maxScore,
      hits: page.map((hit) => hitJson(hit, request, showScores)),
    },
  };
}

function hitJson(hit: Hit, request: SearchRequest, showScores: boolean): Serializable {
  const { doc, index } = hit;
  let source: Serializable | undefined;
  if (request.source.fetch && index.mapping.sourceEnabled) {
    source = isFilterTrivial(request.source) ? new RawJson(doc.sourceText) : filterSource(doc.source, request.source);
  }
  return {
    _index: index.name,
    _id: doc.id,
    ...(request.version ? { _version: doc.version } : {}),
    ...(request.seqNoPrimaryTerm ? { _seq_no: doc.seqNo, _primary_term: doc.primaryTerm } : {}),
    _score: showScores ? hit.score : null,
    ...(source !== undefined ? { _source: source } : {}),
    ...(hit.sortValues !== undefined ? { sort: hit.sortValues } : {}),
  };
}

/** Parses a `_count` body: only `query` is allowed. */
export function parseCountRequest(body: JsonValue | undefined, params: URLSearchParams): { query: QueryNode; minScore?: number } {
  if (params.has('q')) throw illegalArgument('the local OpenSearch emulator does not support the [q] parameter of _count');
  const request = body === undefined || body === null ? {} : body;
  if (!isJsonObject(request)) throw parsingError('request body must be an object');
  for (const key of Object.keys(request)) {
    if (key !== 'query') throw parsingError(`request does not support [${key}]`);
  }
  const minScore = params.get('min_score');
  return {
    query: request.query === undefined ? { kind: 'match_all', boost: 1 } : parseQuery(request.query),
    minScore: minScore === null ? undefined : Number(minScore),
  };
}

export function executeCount(indices: readonly IndexStore[], request: { query: QueryNode; minScore?: number }, now: number = Date.now()): JsonObject {
  let count = 0;
  let shards = 0;
  for (const index of indices) {
    shards += index.numberOfShards;
    let matcher: Matcher;
    try {
      matcher = compileQuery(request.query, index, now);
    } catch (error) {
      if (error instanceof OpenSearchError && error.type === 'query_shard_exception') throw searchPhaseFailure(index.name, error);
      throw error;
    }
    for (const doc of index.searchableDocuments()) {
      const score = matcher(doc);
      if (score !== undefined && (request.minScore === undefined || score >= request.minScore)) count++;
    }
  }
  return { count, _shards: { total: shards, successful: shards, skipped: 0, failed: 0 } };
}

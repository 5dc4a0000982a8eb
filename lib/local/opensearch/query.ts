/**
 * The query DSL: parsed once per request (malformed or unknown queries fail with
 * `parsing_exception`, before any index is touched), then compiled per index against its
 * mapping (a value the field cannot take fails there, like a shard would, with
 * `query_shard_exception`).
 *
 * Supported: `match_all`, `match_none`, `term`, `terms`, `range`, `exists`, `ids`, `bool`,
 * `constant_score`, `match`, `match_phrase`, `prefix`, `wildcard`. Other OpenSearch queries are
 * refused with a 400 naming them, never answered approximately.
 *
 * Scores are not BM25: a matching leaf query scores its `boost` (1.0), `match` the number of
 * matched terms, `bool` the sum of its scoring clauses, and filter context 0. Good enough for
 * "did it match" and for sorting by fields; not for relevance tests.
 * @see https://opensearch.org/docs/latest/query-dsl/
 */
import { analyze } from './analysis';
import { DateParseFailure, resolveDateMath, timeZoneOffset } from './dates';
import { javaCause, OpenSearchError, parsingError, queryShardError } from './errors';
import type { IndexStore, StoredDocument } from './index-store';
import { isJsonObject, textOf, type JsonObject, type JsonValue } from './json';
import { leafAt, nodeAt, type LeafField } from './mapping';

export type QueryNode =
  | { readonly kind: 'match_all'; readonly boost: number }
  | { readonly kind: 'match_none' }
  | { readonly kind: 'term'; readonly field: string; readonly value: JsonValue; readonly boost: number; readonly caseInsensitive: boolean }
  | { readonly kind: 'terms'; readonly field: string; readonly values: readonly JsonValue[]; readonly boost: number }
  | {
      readonly kind: 'range'; readonly field: string; readonly gt?: JsonValue; readonly gte?: JsonValue; readonly lt?: JsonValue; readonly lte?: JsonValue;
      readonly format?: string; readonly timeZone?: string; readonly boost: number;
    }
  | { readonly kind: 'exists'; readonly field: string; readonly boost: number }
  | { readonly kind: 'ids'; readonly values: readonly string[]; readonly boost: number }
  | {
      readonly kind: 'bool'; readonly must: readonly QueryNode[]; readonly filter: readonly QueryNode[]; readonly should: readonly QueryNode[];
      readonly mustNot: readonly QueryNode[]; readonly minimumShouldMatch?: string | number; readonly boost: number;
    }
  | { readonly kind: 'constant_score'; readonly filter: QueryNode; readonly boost: number }
  | { readonly kind: 'match'; readonly field: string; readonly query: JsonValue; readonly operator: 'or' | 'and'; readonly minimumShouldMatch?: string | number; readonly boost: number }
  | { readonly kind: 'match_phrase'; readonly field: string; readonly query: string; readonly boost: number }
  | { readonly kind: 'prefix' | 'wildcard'; readonly field: string; readonly value: string; readonly caseInsensitive: boolean; readonly boost: number };

/** Queries OpenSearch has that the emulator does not implement (refused by name, not called unknown). */
const UNSUPPORTED_QUERIES = new Set([
  'boosting', 'dis_max', 'function_score', 'script_score', 'fuzzy', 'geo_bounding_box', 'geo_distance', 'geo_polygon', 'geo_shape', 'has_child',
  'has_parent', 'intervals', 'match_bool_prefix', 'match_phrase_prefix', 'more_like_this', 'multi_match', 'nested', 'parent_id', 'percolate',
  'query_string', 'simple_query_string', 'rank_feature', 'regexp', 'script', 'span_containing', 'span_field_masking', 'span_first', 'span_multi',
  'span_near', 'span_not', 'span_or', 'span_term', 'span_within', 'terms_set', 'distance_feature', 'wrapper', 'neural', 'neural_sparse', 'knn',
  'hybrid', 'combined_fields', 'xy_shape', 'template', 'pinned', 'agent',
]);

const asBoost = (value: JsonValue | undefined, query: string): number => {
  if (value === undefined) return 1;
  const boost = Number(value);
  if (!Number.isFinite(boost)) throw parsingError(`[${query}] failed to parse field [boost]`);
  return boost;
};

const asBool = (value: JsonValue | undefined): boolean => value === true || value === 'true';

/** `{ field: value }` or `{ field: { value, ...options } }`, as term-level and match queries take them. */
function singleField(name: string, body: JsonObject, valueKeys: readonly string[]): { field: string; value: JsonValue; options: JsonObject } {
  let field: string | undefined;
  let value: JsonValue | undefined;
  let options: JsonObject = {};
  const allowed = [...valueKeys, 'boost', '_name', 'case_insensitive', 'rewrite', 'operator', 'minimum_should_match', 'analyzer', 'zero_terms_query', 'lenient', 'fuzziness', 'prefix_length', 'max_expansions', 'fuzzy_transpositions', 'auto_generate_synonyms_phrase_query', 'slop'];
  for (const [key, inner] of Object.entries(body)) {
    if (key === 'boost' || key === '_name') {
      options[key] = inner;
      continue;
    }
    if (field !== undefined) throw parsingError(`[${name}] query doesn't support multiple fields, found [${field}] and [${key}]`);
    field = key;
    if (isJsonObject(inner)) {
      for (const option of Object.keys(inner)) {
        if (!allowed.includes(option)) throw parsingError(`[${name}] query does not support [${option}]`);
      }
      options = { ...options, ...inner };
      value = valueKeys.map((k) => inner[k]).find((v) => v !== undefined);
    } else {
      value = inner;
    }
  }
  if (field === undefined) throw parsingError(`[${name}] query requires a field`);
  if (value === undefined || value === null) throw parsingError(`[${name}] query requires a value for field [${field}]`);
  return { field, value, options };
}

function clauses(value: JsonValue | undefined, owner: string): QueryNode[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => {
    if (!isJsonObject(item)) throw parsingError(`[${owner}] query malformed, expected an object or array of objects`);
    return parseQuery(item);
  });
}

/** Parses a query object (the value of `query`). Throws `parsing_exception` (400). */
export function parseQuery(query: JsonValue): QueryNode {
  if (!isJsonObject(query)) throw parsingError('[_na] query malformed, must start with start_object');
  const names = Object.keys(query);
  if (names.length === 0) throw new OpenSearchError(400, 'illegal_argument_exception', 'query malformed, empty clause found at [1:11]', { java: true });
  if (names.length > 1) throw parsingError(`[${names[0]}] malformed query, expected [END_OBJECT] but found [FIELD_NAME]`);
  const name = names[0]!;
  const body = query[name];
  if (UNSUPPORTED_QUERIES.has(name)) throw parsingError(`[${name}] query is not supported by the local OpenSearch emulator`);
  if (!isJsonObject(body)) throw parsingError(`[${name}] query malformed, no start_object after query name`);
  switch (name) {
    case 'match_all':
      return { kind: 'match_all', boost: asBoost(body.boost, name) };
    case 'match_none':
      return { kind: 'match_none' };
    case 'term': {
      const { field, value, options } = singleField(name, body, ['value']);
      if (isJsonObject(value) || Array.isArray(value)) throw parsingError(`[term] query does not support array of values`);
      return { kind: 'term', field, value, boost: asBoost(options.boost, name), caseInsensitive: asBool(options.case_insensitive) };
    }
    case 'terms': {
      let field: string | undefined;
      let values: JsonValue[] | undefined;
      for (const [key, inner] of Object.entries(body)) {
        if (key === 'boost' || key === '_name') continue;
        if (field !== undefined) throw parsingError(`[terms] query does not support multiple fields`);
        if (isJsonObject(inner)) throw parsingError('[terms] query lookup (index/id/path) is not supported by the local OpenSearch emulator');
        if (!Array.isArray(inner)) throw parsingError(`[terms] query does not support [${key}]`);
        field = key;
        values = inner;
      }
      if (field === undefined || values === undefined) throw parsingError('[terms] query requires a field with a list of values');
      return { kind: 'terms', field, values, boost: asBoost(body.boost, name) };
    }
    case 'range': {
      const entries = Object.entries(body).filter(([key]) => key !== 'boost' && key !== '_name');
      if (entries.length !== 1) throw parsingError(entries.length === 0 ? '[range] query requires a field' : `[range] query doesn't support multiple fields, found [${entries[0]![0]}] and [${entries[1]![0]}]`);
      const [field, spec] = entries[0]!;
      if (!isJsonObject(spec)) throw parsingError(`[range] query malformed, no start_object after query name`);
      for (const key of Object.keys(spec)) {
        if (!['gt', 'gte', 'lt', 'lte', 'from', 'to', 'include_lower', 'include_upper', 'format', 'time_zone', 'boost', 'relation', '_name'].includes(key)) {
          throw parsingError(`[range] query does not support [${key}]`);
        }
      }
      // `from`/`to` with `include_*` are the legacy spelling of the same bounds.
      const lowerInclusive = spec.include_lower !== false;
      const upperInclusive = spec.include_upper !== false;
      return {
        kind: 'range', field,
        gt: spec.gt ?? (spec.from !== undefined && spec.from !== null && !lowerInclusive ? spec.from : undefined),
        gte: spec.gte ?? (spec.from !== undefined && spec.from !== null && lowerInclusive ? spec.from : undefined),
        lt: spec.lt ?? (spec.to !== undefined && spec.to !== null && !upperInclusive ? spec.to : undefined),
        lte: spec.lte ?? (spec.to !== undefined && spec.to !== null && upperInclusive ? spec.to : undefined),
        format: typeof spec.format === 'string' ? spec.format : undefined,
        timeZone: typeof spec.time_zone === 'string' ? spec.time_zone : undefined,
        boost: asBoost(spec.boost ?? body.boost, name),
      };
    }
    case 'exists':
      if (typeof body.field !== 'string') throw parsingError('[exists] must be provided with a [field]');
      return { kind: 'exists', field: body.field, boost: asBoost(body.boost, name) };
    case 'ids': {
      const values = body.values;
      if (!Array.isArray(values)) throw parsingError('[ids] query malformed, no [values] field');
      return { kind: 'ids', values: values.map(String), boost: asBoost(body.boost, name) };
    }
    case 'bool': {
      for (const key of Object.keys(body)) {
        if (!['must', 'filter', 'should', 'must_not', 'minimum_should_match', 'boost', '_name', 'adjust_pure_negative'].includes(key)) {
          throw parsingError(`[bool] query does not support [${key}]`);
        }
      }
      const msm = body.minimum_should_match;
      return {
        kind: 'bool',
        must: clauses(body.must, name),
        filter: clauses(body.filter, name),
        should: clauses(body.should, name),
        mustNot: clauses(body.must_not, name),
        minimumShouldMatch: typeof msm === 'string' || typeof msm === 'number' ? msm : undefined,
        boost: asBoost(body.boost, name),
      };
    }
    case 'constant_score':
      if (!isJsonObject(body.filter)) throw parsingError('[constant_score] requires a \'filter\' element');
      return { kind: 'constant_score', filter: parseQuery(body.filter), boost: asBoost(body.boost, name) };
    case 'match': {
      const { field, value, options } = singleField(name, body, ['query']);
      const operator = textOf(options.operator ?? 'or').toLowerCase();
      if (operator !== 'or' && operator !== 'and') throw parsingError(`[match] query does not support [operator] [${operator}]`);
      const msm = options.minimum_should_match;
      return { kind: 'match', field, query: value, operator, minimumShouldMatch: typeof msm === 'string' || typeof msm === 'number' ? msm : undefined, boost: asBoost(options.boost, name) };
    }
    case 'match_phrase': {
      const { field, value, options } = singleField(name, body, ['query']);
      if (options.slop !== undefined && Number(options.slop) !== 0) throw parsingError('[match_phrase] with [slop] is not supported by the local OpenSearch emulator');
      return { kind: 'match_phrase', field, query: textOf(value), boost: asBoost(options.boost, name) };
    }
    case 'prefix':
    case 'wildcard': {
      const { field, value, options } = singleField(name, body, name === 'wildcard' ? ['value', 'wildcard'] : ['value']);
      return { kind: name, field, value: textOf(value), caseInsensitive: asBool(options.case_insensitive), boost: asBoost(options.boost, name) };
    }
    default:
      throw parsingError(`unknown query [${name}]`, javaCause('named_object_not_found_exception', `[1:${name.length + 13}] unknown field [${name}]`));
  }
}

// ---- compilation against an index ----

/** A compiled query: the score of a matching document, or `undefined`. */
export type Matcher = (doc: StoredDocument) => number | undefined;

interface CompileContext {
  readonly index: IndexStore;
  readonly now: number;
}

const valuesOf = (doc: StoredDocument, field: string): readonly (string | number | boolean)[] => doc.fields.get(field)?.values ?? [];

function shardError(ctx: CompileContext, reason: string, cause?: string, causeType = 'illegal_argument_exception'): OpenSearchError {
  return queryShardError(reason, ctx.index.name, ctx.index.uuid, cause === undefined ? undefined : javaCause(causeType, cause));
}

/** Parses a query value for a numeric field (integer types with a decimal part match nothing). */
function numericTerm(ctx: CompileContext, field: LeafField, value: JsonValue): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (typeof value === 'boolean' || Number.isNaN(number)) {
    throw shardError(ctx, `failed to create query: For input string: "${textOf(value)}"`, `For input string: "${textOf(value)}"`, 'number_format_exception');
  }
  if (['long', 'integer', 'short', 'byte'].includes(field.type) && !Number.isInteger(number)) return undefined;
  return field.type === 'float' ? Math.fround(number) : number;
}

function booleanTerm(ctx: CompileContext, value: JsonValue): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false' || value === '') return false;
  throw shardError(ctx, `failed to create query: Can't parse boolean value [${textOf(value)}], expected [true] or [false]`, `Can't parse boolean value [${textOf(value)}], expected [true] or [false]`);
}

function dateBound(ctx: CompileContext, field: LeafField, value: JsonValue, roundUp: boolean, format?: string, timeZone?: string): number {
  const offset = timeZone === undefined ? 0 : timeZoneOffset(timeZone);
  if (offset === undefined) throw shardError(ctx, `the local OpenSearch emulator supports only fixed-offset time zones, not [${timeZone}]`);
  if (typeof value !== 'string' && typeof value !== 'number') throw shardError(ctx, `failed to create query: cannot parse date [${textOf(value)}]`);
  try {
    return resolveDateMath(value, format ?? field.format, { roundUp, now: ctx.now, timeZoneOffsetMinutes: offset });
  } catch (error) {
    const reason = error instanceof DateParseFailure ? error.message : (error as Error).message;
    throw shardError(ctx, `failed to create query: ${reason}`, reason);
  }
}

type Scalar = string | number | boolean;

/** A predicate on one indexed value, built from a term of the query. */
function termPredicate(ctx: CompileContext, field: LeafField, value: JsonValue, caseInsensitive: boolean): ((v: Scalar) => boolean) | undefined {
  switch (field.type) {
    case 'keyword':
    case 'text': {
      const text = textOf(value);
      if (caseInsensitive) {
        const lower = text.toLowerCase();
        return (v) => String(v).toLowerCase() === lower;
      }
      return (v) => v === text;
    }
    case 'boolean': {
      const expected = booleanTerm(ctx, value);
      return (v) => v === expected;
    }
    case 'date': {
      const from = dateBound(ctx, field, value, false);
      const to = dateBound(ctx, field, value, true);
      return (v) => (v as number) >= from && (v as number) <= to;
    }
    default: {
      const expected = numericTerm(ctx, field, value);
      return expected === undefined ? undefined : (v) => v === expected;
    }
  }
}

/** Metadata fields queries can name. */
function metadataValues(ctx: CompileContext, field: string, doc: StoredDocument): readonly Scalar[] | undefined {
  if (field === '_id') return [doc.id];
  if (field === '_index') return [ctx.index.name];
  return undefined;
}

function fieldMatcher(ctx: CompileContext, fieldPath: string, boost: number, build: (field: LeafField) => ((v: Scalar) => boolean) | undefined): Matcher {
  if (fieldPath === '_id' || fieldPath === '_index') {
    const keywordField: LeafField = { kind: 'leaf', type: 'keyword', params: {}, format: '', coerce: true, ignoreMalformed: false, indexed: true, analyzer: 'standard', fielddata: false, fields: new Map() };
    const predicate = build(keywordField);
    if (predicate === undefined) return () => undefined;
    return (doc) => (metadataValues(ctx, fieldPath, doc)!.some(predicate) ? boost : undefined);
  }
  const field = leafAt(ctx.index.mapping, fieldPath);
  if (field === undefined) return () => undefined; // unmapped fields match nothing
  const predicate = build(field);
  if (predicate === undefined) return () => undefined;
  return (doc) => (valuesOf(doc, fieldPath).some(predicate) ? boost : undefined);
}

function globRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  const source = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, caseInsensitive ? 'is' : 's');
}

/** How many optional clauses must match (`minimum_should_match`: an integer, a negative one, or a percentage). */
export function requiredShouldCount(spec: string | number | undefined, optional: number, fallback: number): number {
  if (spec === undefined) return fallback;
  const text = String(spec).trim();
  let required: number;
  if (text.endsWith('%')) {
    const percent = Number(text.slice(0, -1));
    required = percent < 0 ? optional - Math.floor((optional * -percent) / 100) : Math.floor((optional * percent) / 100);
  } else {
    const count = Number(text);
    if (!Number.isInteger(count)) throw parsingError(`[bool] query does not support [minimum_should_match] value [${text}]`);
    required = count < 0 ? optional + count : count;
  }
  return Math.max(0, required);
}

function matchQuery(ctx: CompileContext, node: Extract<QueryNode, { kind: 'match' }>): Matcher {
  const field = leafAt(ctx.index.mapping, node.field);
  if (field === undefined && node.field !== '_id') return () => undefined;
  if (field === undefined || field.type !== 'text') {
    return fieldMatcher(ctx, node.field, node.boost, (f) => termPredicate(ctx, f, node.query, false));
  }
  const tokens = [...new Set(analyze(textOf(node.query), field.analyzer))];
  if (tokens.length === 0) return () => undefined;
  const required = node.operator === 'and' ? tokens.length : Math.min(tokens.length, Math.max(1, requiredShouldCount(node.minimumShouldMatch, tokens.length, 1)));
  return (doc) => {
    const present = new Set(valuesOf(doc, node.field) as string[]);
    const matched = tokens.filter((t) => present.has(t)).length;
    return matched >= required && matched > 0 ? node.boost * matched : undefined;
  };
}

function phraseQuery(ctx: CompileContext, node: Extract<QueryNode, { kind: 'match_phrase' }>): Matcher {
  const field = leafAt(ctx.index.mapping, node.field);
  if (field === undefined) return () => undefined;
  if (field.type !== 'text') return fieldMatcher(ctx, node.field, node.boost, (f) => termPredicate(ctx, f, node.query, false));
  const phrase = analyze(node.query, field.analyzer);
  if (phrase.length === 0) return () => undefined;
  return (doc) => {
    const runs = doc.fields.get(node.field)?.tokenRuns ?? [];
    const found = runs.some((run) => {
      for (let start = 0; start + phrase.length <= run.length; start++) {
        if (phrase.every((token, i) => run[start + i] === token)) return true;
      }
      return false;
    });
    return found ? node.boost : undefined;
  };
}

function rangeQuery(ctx: CompileContext, node: Extract<QueryNode, { kind: 'range' }>): Matcher {
  return fieldMatcher(ctx, node.field, node.boost, (field) => {
    const tests: ((v: Scalar) => boolean)[] = [];
    const bound = (value: JsonValue | undefined, roundUp: boolean, compare: (v: number | string, b: number | string) => boolean): void => {
      if (value === undefined || value === null) return;
      let b: number | string;
      if (field.type === 'date') b = dateBound(ctx, field, value, roundUp, node.format, node.timeZone);
      else if (field.type === 'keyword' || field.type === 'text') b = textOf(value);
      else if (field.type === 'boolean') b = booleanTerm(ctx, value) ? 1 : 0;
      else {
        const number = typeof value === 'number' ? value : Number(value);
        if (Number.isNaN(number) || typeof value === 'boolean') throw shardError(ctx, `failed to create query: For input string: "${textOf(value)}"`, `For input string: "${textOf(value)}"`, 'number_format_exception');
        b = field.type === 'float' ? Math.fround(number) : number;
      }
      tests.push((v) => compare(typeof v === 'boolean' ? (v ? 1 : 0) : v, b));
    };
    bound(node.gt, true, (v, b) => v > b);
    bound(node.gte, false, (v, b) => v >= b);
    bound(node.lt, false, (v, b) => v < b);
    bound(node.lte, true, (v, b) => v <= b);
    return (v) => tests.every((test) => test(v));
  });
}

/** Compiles a parsed query for one index. Throws `query_shard_exception` for values its fields cannot take. */
export function compileQuery(node: QueryNode, index: IndexStore, now: number = Date.now()): Matcher {
  return compile(node, { index, now });
}

function compile(node: QueryNode, ctx: CompileContext): Matcher {
  switch (node.kind) {
    case 'match_all':
      return () => node.boost;
    case 'match_none':
      return () => undefined;
    case 'term':
      return fieldMatcher(ctx, node.field, node.boost, (field) => termPredicate(ctx, field, node.value, node.caseInsensitive));
    case 'terms':
      return fieldMatcher(ctx, node.field, node.boost, (field) => {
        const predicates = node.values.map((value) => termPredicate(ctx, field, value, false)).filter((p): p is (v: Scalar) => boolean => p !== undefined);
        return predicates.length === 0 ? undefined : (v) => predicates.some((p) => p(v));
      });
    case 'range':
      return rangeQuery(ctx, node);
    case 'exists': {
      if (node.field === '_id' || node.field === '_index') return () => node.boost;
      const isObject = nodeAt(ctx.index.mapping, node.field)?.kind === 'object';
      const prefix = `${node.field}.`;
      return (doc) => {
        if ((doc.fields.get(node.field)?.values.length ?? 0) > 0) return node.boost;
        if (isObject) for (const [path, field] of doc.fields) if (path.startsWith(prefix) && field.values.length > 0) return node.boost;
        return undefined;
      };
    }
    case 'ids': {
      const ids = new Set(node.values);
      return (doc) => (ids.has(doc.id) ? node.boost : undefined);
    }
    case 'constant_score': {
      const filter = compile(node.filter, ctx);
      return (doc) => (filter(doc) !== undefined ? node.boost : undefined);
    }
    case 'match':
      return matchQuery(ctx, node);
    case 'match_phrase':
      return phraseQuery(ctx, node);
    case 'prefix':
    case 'wildcard':
      return fieldMatcher(ctx, node.field, node.boost, (field) => {
        if (field.type !== 'keyword' && field.type !== 'text') {
          throw shardError(ctx, `failed to create query: Can only use ${node.kind} queries on keyword and text fields - not on [${node.field}] which is of type [${field.type}]`);
        }
        if (node.kind === 'prefix') {
          const prefix = node.caseInsensitive ? node.value.toLowerCase() : node.value;
          return (v) => (node.caseInsensitive ? String(v).toLowerCase() : String(v)).startsWith(prefix);
        }
        const regex = globRegExp(node.value, node.caseInsensitive);
        return (v) => regex.test(String(v));
      });
    case 'bool': {
      const must = node.must.map((q) => compile(q, ctx));
      const filter = node.filter.map((q) => compile(q, ctx));
      const should = node.should.map((q) => compile(q, ctx));
      const mustNot = node.mustNot.map((q) => compile(q, ctx));
      const defaultRequired = must.length === 0 && filter.length === 0 && should.length > 0 ? 1 : 0;
      const required = requiredShouldCount(node.minimumShouldMatch, should.length, defaultRequired);
      const scoring = must.length > 0 || should.length > 0;
      const empty = must.length === 0 && filter.length === 0 && should.length === 0 && mustNot.length === 0;
      return (doc) => {
        if (empty) return node.boost;
        let score = 0;
        for (const q of must) {
          const s = q(doc);
          if (s === undefined) return undefined;
          score += s;
        }
        for (const q of filter) if (q(doc) === undefined) return undefined;
        for (const q of mustNot) if (q(doc) !== undefined) return undefined;
        let matchedShould = 0;
        for (const q of should) {
          const s = q(doc);
          if (s !== undefined) {
            matchedShould++;
            score += s;
          }
        }
        if (matchedShould < required) return undefined;
        return scoring ? score * node.boost : 0;
      };
    }
  }
}

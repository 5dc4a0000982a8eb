/** Query parsing and matching, and search execution (sort, paging, totals) over an index. */
import { IndexStore } from '../../../../lib/local/opensearch/index-store';
import { stringifyJson, type JsonObject, type JsonValue } from '../../../../lib/local/opensearch/json';
import { parseRootMapping } from '../../../../lib/local/opensearch/mapping';
import { compileQuery, parseQuery, requiredShouldCount } from '../../../../lib/local/opensearch/query';
import { executeCount, executeSearch, parseSearchRequest } from '../../../../lib/local/opensearch/search';
import { openSearchFailure } from '../../../support/opensearch';

const failure = openSearchFailure;

const DOCS: JsonObject[] = [
  { device: 'd-1', site: 'lyon', temperature_c: 21.5, count: 3, ok: true, at: '2024-01-15T10:00:00Z', note: 'The quick brown fox' },
  { device: 'd-2', site: 'paris', temperature_c: 18, count: 10, ok: false, at: '2024-01-16T10:00:00Z', note: 'Lazy dogs sleep' },
  { device: 'd-3', site: 'lyon', temperature_c: 30.25, count: 7, ok: true, at: '2024-01-17T10:00:00Z', tags: ['hot', 'alert'] },
  { device: 'd-4', site: 'nice', count: 1, at: '2024-02-01T00:00:00Z' },
];

function indexWith(documents: readonly JsonObject[] = DOCS): IndexStore {
  const index = new IndexStore('telemetry', {}, parseRootMapping({
    properties: {
      device: { type: 'keyword' }, site: { type: 'keyword' }, temperature_c: { type: 'double' }, count: { type: 'long' }, ok: { type: 'boolean' },
      at: { type: 'date' }, note: { type: 'text', fields: { raw: { type: 'keyword' } } }, tags: { type: 'keyword' },
    },
  }), -1);
  documents.forEach((source, i) => index.index({ id: String(i + 1), source, sourceText: JSON.stringify(source), opType: 'index' }));
  index.refresh();
  return index;
}

const ids = (index: IndexStore, query: JsonValue): string[] => {
  const matcher = compileQuery(parseQuery(query), index, Date.UTC(2024, 0, 17, 12));
  return [...index.searchableDocuments()].filter((d) => matcher(d) !== undefined).map((d) => d.id);
};

describe('matching', () => {
  const index = indexWith();

  test('term on keyword, numbers, dates, booleans and _id', () => {
    expect(ids(index, { term: { site: 'lyon' } })).toEqual(['1', '3']);
    expect(ids(index, { term: { site: 'Lyon' } })).toEqual([]);
    expect(ids(index, { term: { site: { value: 'Lyon', case_insensitive: true } } })).toEqual(['1', '3']);
    expect(ids(index, { term: { count: '10' } })).toEqual(['2']);
    expect(ids(index, { term: { count: 10.5 } })).toEqual([]);
    expect(ids(index, { term: { temperature_c: 30.25 } })).toEqual(['3']);
    expect(ids(index, { term: { ok: 'false' } })).toEqual(['2']);
    expect(ids(index, { term: { at: '2024-01-16T10:00:00Z' } })).toEqual(['2']);
    expect(ids(index, { term: { _id: '4' } })).toEqual(['4']);
    expect(ids(index, { term: { unmapped: 'x' } })).toEqual([]);
  });

  test('term on a text field compares analyzed tokens; match analyzes the query', () => {
    expect(ids(index, { term: { note: 'quick' } })).toEqual(['1']);
    expect(ids(index, { term: { note: 'Quick' } })).toEqual([]);
    expect(ids(index, { term: { 'note.raw': 'The quick brown fox' } })).toEqual(['1']);
    expect(ids(index, { match: { note: 'QUICK dogs' } })).toEqual(['1', '2']);
    expect(ids(index, { match: { note: { query: 'quick dogs', operator: 'and' } } })).toEqual([]);
    expect(ids(index, { match_phrase: { note: 'brown fox' } })).toEqual(['1']);
    expect(ids(index, { match_phrase: { note: 'fox brown' } })).toEqual([]);
  });

  test('terms, range (numbers, dates with math), exists, ids, prefix, wildcard', () => {
    expect(ids(index, { terms: { device: ['d-1', 'd-4', 'nope'] } })).toEqual(['1', '4']);
    expect(ids(index, { range: { temperature_c: { gt: 18, lte: 30.25 } } })).toEqual(['1', '3']);
    expect(ids(index, { range: { at: { gte: '2024-01-16', lt: '2024-02-01' } } })).toEqual(['2', '3']);
    expect(ids(index, { range: { at: { gte: 'now-1d/d' } } })).toEqual(['2', '3', '4']);
    expect(ids(index, { range: { at: { lte: '2024-01-16||/d' } } })).toEqual(['1', '2']);
    expect(ids(index, { range: { device: { gte: 'd-2', lt: 'd-4' } } })).toEqual(['2', '3']);
    expect(ids(index, { exists: { field: 'temperature_c' } })).toEqual(['1', '2', '3']);
    expect(ids(index, { ids: { values: ['2', '9'] } })).toEqual(['2']);
    expect(ids(index, { prefix: { site: 'ly' } })).toEqual(['1', '3']);
    expect(ids(index, { wildcard: { device: { value: 'd-?' } } })).toHaveLength(4);
  });

  test('bool: must, filter, should with minimum_should_match, must_not', () => {
    expect(ids(index, { bool: { filter: [{ term: { site: 'lyon' } }], must_not: { term: { device: 'd-1' } } } })).toEqual(['3']);
    expect(ids(index, { bool: { should: [{ term: { site: 'paris' } }, { term: { site: 'nice' } }] } })).toEqual(['2', '4']);
    expect(ids(index, { bool: { filter: { term: { ok: true } }, should: [{ term: { site: 'paris' } }] } })).toEqual(['1', '3']);
    expect(ids(index, { bool: { should: [{ term: { site: 'lyon' } }, { range: { count: { gte: 5 } } }, { term: { ok: true } }], minimum_should_match: 2 } })).toEqual(['1', '3']);
    expect(ids(index, { bool: { should: [{ term: { site: 'lyon' } }, { term: { ok: true } }], minimum_should_match: '100%' } })).toEqual(['1', '3']);
    expect(ids(index, { bool: {} })).toHaveLength(4);
  });

  test('minimum_should_match forms', () => {
    expect(requiredShouldCount(2, 3, 1)).toBe(2);
    expect(requiredShouldCount(-1, 3, 1)).toBe(2);
    expect(requiredShouldCount('75%', 3, 1)).toBe(2);
    expect(requiredShouldCount('-25%', 4, 1)).toBe(3);
    expect(requiredShouldCount(undefined, 3, 0)).toBe(0);
  });
});

describe('errors', () => {
  test('unknown and unsupported queries fail at parse time with parsing_exception', () => {
    expect(failure(() => parseQuery({ match_everything: {} })).toBody()).toMatchObject({
      error: { type: 'parsing_exception', reason: 'unknown query [match_everything]', caused_by: { type: 'named_object_not_found_exception' } },
      status: 400,
    });
    expect(failure(() => parseQuery({ query_string: { query: 'a' } })).reason).toBe('[query_string] query is not supported by the local OpenSearch emulator');
    expect(failure(() => parseQuery({ term: { a: 1, b: 2 } })).reason).toBe("[term] query doesn't support multiple fields, found [a] and [b]");
    expect(failure(() => parseQuery({ bool: { must: [], shoud: [] } })).reason).toBe('[bool] query does not support [shoud]');
  });

  test('a value the field cannot take fails like a shard: search_phase_execution_exception', () => {
    const index = indexWith();
    const error = failure(() => executeSearch([index], parseSearchRequest({ query: { term: { count: 'many' } } }, new URLSearchParams())));
    expect(error.status).toBe(400);
    expect(error.toBody()).toMatchObject({
      error: {
        root_cause: [{ type: 'query_shard_exception', reason: 'failed to create query: For input string: "many"', index: 'telemetry' }],
        type: 'search_phase_execution_exception',
        reason: 'all shards failed',
        phase: 'query',
      },
      status: 400,
    });
  });

  test('search bodies: unknown keys and unsupported features', () => {
    expect(failure(() => parseSearchRequest({ qurey: {} }, new URLSearchParams())).reason).toBe('Unknown key for a START_OBJECT in [qurey].');
    expect(failure(() => parseSearchRequest({ aggs: {} }, new URLSearchParams())).reason).toBe('[aggs] is not supported by the local OpenSearch emulator');
  });
});

describe('search execution', () => {
  const index = indexWith();
  // Compared as the wire shows it (non-finite sort values are quoted, as Jackson writes them).
  const search = (body: JsonValue, params = ''): JsonObject => JSON.parse(stringifyJson(executeSearch([index], parseSearchRequest(body, new URLSearchParams(params))))) as JsonObject;
  const hitIds = (response: JsonObject): string[] => ((response.hits as JsonObject).hits as JsonObject[]).map((h) => h._id as string);

  test('default size 10, from/size paging, total and scores', () => {
    const all = search({});
    expect(all.hits).toMatchObject({ total: { value: 4, relation: 'eq' }, max_score: 1 });
    expect(((all.hits as JsonObject).hits as JsonObject[])[0]).toEqual({ _index: 'telemetry', _id: '1', _score: 1, _source: DOCS[0] });
    expect(hitIds(search({ from: 1, size: 2 }))).toEqual(['2', '3']);
    expect((search({ query: { bool: { filter: { term: { site: 'lyon' } } } } }).hits as JsonObject).max_score).toBe(0);
  });

  test('sort on fields: values shown, missing last, desc, keyword and multiple keys', () => {
    const byTemp = search({ sort: [{ temperature_c: 'desc' }] });
    expect(hitIds(byTemp)).toEqual(['3', '1', '2', '4']);
    expect(((byTemp.hits as JsonObject).hits as JsonObject[]).map((h) => h.sort)).toEqual([[30.25], [21.5], [18], ['-Infinity']]);
    expect((byTemp.hits as JsonObject).max_score).toBeNull();
    expect(hitIds(search({ sort: ['site', { count: { order: 'desc' } }] }))).toEqual(['3', '1', '4', '2']);
    expect(hitIds(search({ sort: [{ at: 'asc' }] }, 'size=2'))).toEqual(['1', '2']);
    expect(hitIds(search({}, 'sort=count:desc'))).toEqual(['2', '3', '1', '4']);
  });

  test('long sort values of missing fields are Long.MAX_VALUE, as OpenSearch prints them', () => {
    const withMissing = indexWith([{ count: 2 }, {}]);
    const text = stringifyJson(executeSearch([withMissing], parseSearchRequest({ sort: [{ count: 'asc' }] }, new URLSearchParams())));
    expect(text).toContain('"sort":[9223372036854775807]');
  });

  test('search_after continues a sorted listing', () => {
    expect(hitIds(search({ sort: [{ count: 'asc' }], search_after: [3] }))).toEqual(['3', '2']);
  });

  test('sorting on a text field or an unmapped field fails as OpenSearch does', () => {
    expect(failure(() => search({ sort: ['note'] })).toBody()).toMatchObject({ error: { root_cause: [{ type: 'illegal_argument_exception' }], type: 'search_phase_execution_exception' } });
    expect(failure(() => search({ sort: ['nope'] })).toBody()).toMatchObject({ error: { root_cause: [{ type: 'query_shard_exception', reason: 'No mapping found for [nope] in order to sort on' }] } });
    expect(hitIds(search({ sort: [{ nope: { unmapped_type: 'long' } }] }))).toEqual(['1', '2', '3', '4']);
  });

  test('_source filtering, track_total_hits, rest_total_hits_as_int, result window', () => {
    const filtered = search({ _source: ['dev*'], size: 1 });
    expect(((filtered.hits as JsonObject).hits as JsonObject[])[0]!._source).toEqual({ device: 'd-1' });
    const noSource = search({ _source: false, size: 1 });
    expect(((noSource.hits as JsonObject).hits as JsonObject[])[0]).not.toHaveProperty('_source');
    expect(search({ track_total_hits: 2 }).hits).toMatchObject({ total: { value: 2, relation: 'gte' } });
    expect(search({ track_total_hits: false }).hits).not.toHaveProperty('total');
    expect((search({}, 'rest_total_hits_as_int=true').hits as JsonObject).total).toBe(4);
    expect(failure(() => search({ from: 9999, size: 2 })).toBody()).toMatchObject({ error: { root_cause: [{ type: 'illegal_argument_exception', reason: expect.stringContaining('Result window is too large') as unknown }] } });
  });

  test('count', () => {
    expect(executeCount([index], { query: parseQuery({ term: { site: 'lyon' } }) })).toEqual({ count: 2, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 } });
  });
});

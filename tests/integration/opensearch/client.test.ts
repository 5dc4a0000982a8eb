/**
 * The local OpenSearch driven by the official client (unsigned): templates applied on
 * auto-create, strict mappings, documents and versioning, near-real-time visibility, search,
 * index and mapping APIs, and REST-layer answers.
 */
import { Client, type Types } from '@opensearch-project/opensearch';
import { startOpenSearchEmulator, type LocalOpenSearch } from '../../../lib/local/opensearch';
import { rejection } from '../../support/opensearch';

let opensearch: LocalOpenSearch;
let client: Client;

beforeAll(async () => {
  opensearch = await startOpenSearchEmulator({ refreshIntervalMs: -1 });
  client = new Client({ node: opensearch.endpoint, maxRetries: 0 });
});

afterAll(async () => {
  await client.close();
  await opensearch.stop();
});

beforeEach(() => opensearch.reset());


/** Polls a condition on the emulator's state (bounded: fails after 2 s). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error('condition not reached');
}

const TELEMETRY_TEMPLATE = {
  index_patterns: ['telemetry-*'],
  priority: 10,
  template: {
    settings: { index: { number_of_shards: 1, number_of_replicas: 0 } },
    mappings: {
      dynamic: 'strict' as const,
      properties: { device_id: { type: 'keyword' as const }, temperature_c: { type: 'double' as const }, recorded_at: { type: 'date' as const, format: 'strict_date_optional_time||epoch_millis' } },
    },
  },
};

test('GET / reports an OpenSearch 2.x distribution; cluster health answers', async () => {
  const info = await client.info();
  expect(info.body.version).toMatchObject({ distribution: 'opensearch', number: expect.stringMatching(/^2\.\d+\.\d+$/) as unknown });
  await expect(client.ping()).resolves.toMatchObject({ statusCode: 200 });
  const health = await client.cluster.health();
  expect(health.body).toMatchObject({ status: 'green', number_of_nodes: 1 });
});

test('the highest-priority template applies when the first write creates the index', async () => {
  await client.indices.putIndexTemplate({ name: 'telemetry', body: TELEMETRY_TEMPLATE });
  await client.indices.putIndexTemplate({ name: 'catch-all', body: { index_patterns: ['*'], priority: 1, template: { mappings: { properties: { device_id: { type: 'text' } } } } } });
  await expect(client.indices.existsIndexTemplate({ name: 'telemetry' })).resolves.toMatchObject({ body: true });

  const written = await client.index({ index: 'telemetry-2024.01.15', id: 'd1-1', body: { device_id: 'd1', temperature_c: '21.5', recorded_at: 1705312800000 } });
  expect(written.statusCode).toBe(201);
  expect(written.body).toMatchObject({ _index: 'telemetry-2024.01.15', _id: 'd1-1', _version: 1, result: 'created', _seq_no: 0, _primary_term: 1, _shards: { total: 1, successful: 1, failed: 0 } });

  const mapping = await client.indices.getMapping({ index: 'telemetry-*' });
  expect(mapping.body).toEqual({ 'telemetry-2024.01.15': { mappings: TELEMETRY_TEMPLATE.template.mappings } });
  const settings = await client.indices.getSettings({ index: 'telemetry-2024.01.15' });
  expect(settings.body['telemetry-2024.01.15']?.settings?.index).toMatchObject({ number_of_shards: '1', number_of_replicas: '0', provided_name: 'telemetry-2024.01.15' });

  // The catch-all template (lower priority) applied to another index.
  await client.index({ index: 'clicks', body: { device_id: 'x' } });
  expect(opensearch.mapping('clicks')).toEqual({ properties: { device_id: { type: 'text' } } });

  // Same priority, overlapping patterns: refused.
  const overlap = await rejection(client.indices.putIndexTemplate({ name: 'other', body: { index_patterns: ['telemetry-2024*'], priority: 10 } }));
  expect(overlap.statusCode).toBe(400);
  expect(overlap.body).toMatchObject({ error: { type: 'illegal_argument_exception', reason: expect.stringContaining('have the same priority [10]') as unknown } });
});

test('a strict mapping refuses an undeclared field; a wrong type is a mapper_parsing_exception', async () => {
  await client.indices.putIndexTemplate({ name: 'telemetry', body: TELEMETRY_TEMPLATE });
  const strict = await rejection(client.index({ index: 'telemetry-a', id: '1', body: { device_id: 'd1', humidity: 40 } }));
  expect(strict).toEqual({
    statusCode: 400,
    body: {
      error: {
        root_cause: [{ type: 'strict_dynamic_mapping_exception', reason: 'mapping set to strict, dynamic introduction of [humidity] within [_doc] is not allowed' }],
        type: 'strict_dynamic_mapping_exception',
        reason: 'mapping set to strict, dynamic introduction of [humidity] within [_doc] is not allowed',
      },
      status: 400,
    },
  });
  const typed = await rejection(client.index({ index: 'telemetry-a', id: '2', body: { device_id: 'd1', recorded_at: 'last tuesday' } }));
  expect(typed.body).toMatchObject({
    error: {
      type: 'mapper_parsing_exception',
      reason: "failed to parse field [recorded_at] of type [date] in document with id '2'. Preview of field's value: 'last tuesday'",
      caused_by: { type: 'illegal_argument_exception', caused_by: { type: 'date_time_parse_exception' } },
    },
  });
});

test('documents: create, realtime get, update, delete, external versioning and seq_no concurrency', async () => {
  await client.create({ index: 'docs', id: 'a', body: { n: 1 } });
  expect((await rejection(client.create({ index: 'docs', id: 'a', body: { n: 2 } }))).statusCode).toBe(409);

  const got = await client.get({ index: 'docs', id: 'a' });
  expect(got.body).toEqual({ _index: 'docs', _id: 'a', _version: 1, _seq_no: 0, _primary_term: 1, found: true, _source: { n: 1 } });
  expect(await rejection(client.get({ index: 'docs', id: 'missing' }))).toEqual({ statusCode: 404, body: { _index: 'docs', _id: 'missing', found: false } });
  await expect(client.exists({ index: 'docs', id: 'a' })).resolves.toMatchObject({ body: true });

  const updated = await client.update({ index: 'docs', id: 'a', body: { doc: { m: 2 } } });
  expect(updated.body).toMatchObject({ result: 'updated', _version: 2, _seq_no: 1 });
  const noop = await client.update({ index: 'docs', id: 'a', body: { doc: { m: 2 } } });
  expect(noop.body).toMatchObject({ result: 'noop', _version: 2, _shards: { total: 0 } });
  const conflict = await rejection(client.index({ index: 'docs', id: 'a', if_seq_no: 0, if_primary_term: 1, body: { n: 3 } }));
  expect(conflict.body).toMatchObject({ error: { type: 'version_conflict_engine_exception', reason: '[a]: version conflict, required seqNo [0], primary term [1]. current document has seqNo [1] and primary term [1]' }, status: 409 });
  await client.index({ index: 'docs', id: 'a', if_seq_no: 1, if_primary_term: 1, body: { n: 3 } });

  await client.index({ index: 'docs', id: 'ext', version: 1700000000000, version_type: 'external', body: { v: 'first' } });
  const stale = await rejection(client.index({ index: 'docs', id: 'ext', version: 1699999999999, version_type: 'external', body: { v: 'stale' } }));
  expect(stale.body).toMatchObject({ error: { type: 'version_conflict_engine_exception', reason: '[ext]: version conflict, current version [1700000000000] is higher or equal to the one provided [1699999999999]' } });
  const internalVersion = await rejection(client.index({ index: 'docs', id: 'ext', version: 5, body: { v: 'x' } }));
  expect(internalVersion.body).toMatchObject({ error: { type: 'action_request_validation_exception' } });

  const deleted = await client.delete({ index: 'docs', id: 'a' });
  expect(deleted.body).toMatchObject({ result: 'deleted', _version: 4 });
  expect(await rejection(client.delete({ index: 'docs', id: 'a' }))).toMatchObject({ statusCode: 404, body: { result: 'not_found' } });
  expect(await rejection(client.get({ index: 'nope', id: 'a' }))).toMatchObject({ statusCode: 404, body: { error: { type: 'index_not_found_exception', reason: 'no such index [nope]' } } });
});

test('near real time: search and count see writes only after a refresh', async () => {
  await client.bulk({ body: [{ index: { _index: 'nrt', _id: '1' } }, { n: 1 }, { index: { _index: 'nrt', _id: '2' } }, { n: 2 }] });
  expect((await client.count({ index: 'nrt' })).body.count).toBe(0);
  expect((await client.get({ index: 'nrt', id: '2' })).body.found).toBe(true);
  await client.indices.refresh({ index: 'nrt' });
  expect((await client.count({ index: 'nrt' })).body.count).toBe(2);

  await client.index({ index: 'nrt', id: '3', body: { n: 3 }, refresh: true });
  expect((await client.count({ index: 'nrt' })).body.count).toBe(3);
  // refresh=wait_for answers only once a refresh made the write visible (the interval is off here).
  let answered = false;
  const waited = client.index({ index: 'nrt', id: '4', body: { n: 4 }, refresh: 'wait_for' }).then(() => (answered = true));
  await until(() => opensearch.documents('nrt').some((d) => d._id === '4'));
  expect(answered).toBe(false);
  opensearch.refresh('nrt');
  await waited;
  expect((await client.count({ index: 'nrt' })).body.count).toBe(4);
});

test('search: term, range and bool queries, sort, paging and _source', async () => {
  await client.indices.putIndexTemplate({ name: 'telemetry', body: TELEMETRY_TEMPLATE });
  const readings = [
    { device_id: 'd1', temperature_c: 20.5, recorded_at: '2024-01-15T10:00:00Z' },
    { device_id: 'd1', temperature_c: 25, recorded_at: '2024-01-15T11:00:00Z' },
    { device_id: 'd2', temperature_c: 30, recorded_at: '2024-01-15T12:00:00Z' },
    { device_id: 'd2', temperature_c: 15, recorded_at: '2024-01-16T10:00:00Z' },
  ];
  await client.bulk({ refresh: true, body: readings.flatMap((r, i) => [{ index: { _index: 'telemetry-a', _id: String(i) } }, r]) });

  const term = await client.search({ index: 'telemetry-*', body: { query: { term: { device_id: 'd2' } } } });
  expect(term.body.hits.total).toEqual({ value: 2, relation: 'eq' });

  const bool = await client.search({
    index: 'telemetry-a',
    body: {
      query: { bool: { filter: [{ range: { recorded_at: { gte: '2024-01-15', lt: '2024-01-16' } } }, { range: { temperature_c: { gt: 20 } } }], must_not: [{ term: { device_id: 'd2' } }] } },
      sort: [{ temperature_c: { order: 'desc' } }],
      _source: ['temperature_c'],
    },
  });
  expect(bool.body.hits.hits.map((h) => [h._id, h._source as unknown, h.sort])).toEqual([['1', { temperature_c: 25 }, [25]], ['0', { temperature_c: 20.5 }, [20.5]]]);

  const page = await client.search({ index: 'telemetry-a', body: { sort: [{ recorded_at: 'asc' }], from: 1, size: 2 } });
  expect(page.body.hits.hits.map((h) => h._id)).toEqual(['1', '2']);
  expect(page.body.hits.hits[0]?.sort).toEqual([Date.parse('2024-01-15T11:00:00Z')]);

  const helper: unknown[] = await client.helpers.search({ index: 'telemetry-a', body: { query: { term: { device_id: 'd1' } } } });
  expect(helper).toHaveLength(2);

  const unknownQuery = { fuzzy_match: { device_id: 'd' } } as unknown as Types.Common_QueryDsl.QueryContainer;
  const unknown = await rejection(client.search({ index: 'telemetry-a', body: { query: unknownQuery } }));
  expect(unknown).toMatchObject({ statusCode: 400, body: { error: { type: 'parsing_exception', reason: 'unknown query [fuzzy_match]' } } });
  const missing = await rejection(client.search({ index: 'nope', body: {} }));
  expect(missing).toMatchObject({ statusCode: 404, body: { error: { type: 'index_not_found_exception' } } });
  const wildcard = await client.search({ index: 'nope-*', body: {} });
  expect(wildcard.body.hits.total).toEqual({ value: 0, relation: 'eq' });
});

test('index APIs: create with mappings, exists, put mapping (add vs conflict), invalid names, delete', async () => {
  const created = await client.indices.create({ index: 'devices', body: { settings: { number_of_shards: 2 }, mappings: { properties: { name: { type: 'keyword' } } } } });
  expect(created.body).toEqual({ acknowledged: true, shards_acknowledged: true, index: 'devices' });
  expect(await rejection(client.indices.create({ index: 'devices' }))).toMatchObject({ statusCode: 400, body: { error: { type: 'resource_already_exists_exception' } } });
  await expect(client.indices.exists({ index: 'devices' })).resolves.toMatchObject({ body: true });
  await expect(client.indices.exists({ index: 'nothing' })).resolves.toMatchObject({ body: false, statusCode: 404 });

  await client.indices.putMapping({ index: 'devices', body: { properties: { site: { type: 'keyword' } } } });
  const conflict = await rejection(client.indices.putMapping({ index: 'devices', body: { properties: { name: { type: 'long' } } } }));
  expect(conflict.body).toEqual({
    error: {
      root_cause: [{ type: 'illegal_argument_exception', reason: 'mapper [name] cannot be changed from type [keyword] to [long]' }],
      type: 'illegal_argument_exception',
      reason: 'mapper [name] cannot be changed from type [keyword] to [long]',
    },
    status: 400,
  });
  expect(opensearch.mapping('devices')).toEqual({ properties: { name: { type: 'keyword' }, site: { type: 'keyword' } } });

  const invalid = await rejection(client.indices.create({ index: 'Devices' }));
  expect(invalid.body).toMatchObject({ error: { type: 'invalid_index_name_exception', reason: 'Invalid index name [Devices], must be lowercase', index: 'Devices' }, status: 400 });
  const invalidWrite = await rejection(client.index({ index: '_bad', body: { a: 1 } }));
  expect(invalidWrite).toMatchObject({ statusCode: 400, body: { error: { type: 'invalid_index_name_exception' } } });

  await client.indices.delete({ index: 'devices' });
  expect(opensearch.indices()).toEqual([]);
});

test('the REST layer: unknown routes, wrong methods, unknown parameters, content types', async () => {
  const noHandler = await rejection(client.transport.request({ method: 'GET', path: '/_nothing/here/at/all' }));
  expect(noHandler).toEqual({ statusCode: 400, body: { error: 'no handler found for uri [/_nothing/here/at/all] and method [GET]' } });
  const wrongMethod = await rejection(client.transport.request({ method: 'POST', path: '/_cluster/health' }));
  expect(wrongMethod).toEqual({ statusCode: 405, body: { error: 'Incorrect HTTP method for uri [/_cluster/health] and method [POST], allowed: [GET]', status: 405 } });
  // A path that also matches /{index} falls through to it, as OpenSearch's router does: DELETE /_bulk deletes "index" _bulk.
  expect(await rejection(client.transport.request({ method: 'DELETE', path: '/_bulk' }))).toMatchObject({ statusCode: 404, body: { error: { type: 'index_not_found_exception' } } });
  const unknownParam = await rejection(client.transport.request({ method: 'GET', path: '/_cluster/health', querystring: { colour: 'green' } }));
  expect(unknownParam.body).toMatchObject({ error: { type: 'illegal_argument_exception', reason: 'request [/_cluster/health] contains unrecognized parameter: [colour]' } });
  const textPlain = await rejection(client.transport.request({ method: 'POST', path: '/x/_doc', body: 'a=1' }, { headers: { 'content-type': 'text/plain' } }));
  expect(textPlain).toEqual({ statusCode: 406, body: { error: 'Content-Type header [text/plain] is not supported', status: 406 } });
  const filtered = await client.transport.request({ method: 'GET', path: '/', querystring: { filter_path: 'version.number' } });
  expect(filtered.body).toEqual({ version: { number: expect.any(String) as unknown } });
});

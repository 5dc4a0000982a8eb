/**
 * `_bulk` through the official client: mixed actions with per-item results, the trailing
 * newline, malformed bodies, the body size limit, and fault injection (item 429s then success
 * on retry, whole-request failures, mapping faults, the HTTP fault API).
 */
import { Client } from '@opensearch-project/opensearch';
import { startOpenSearchEmulator, type LocalOpenSearch } from '../../../lib/local/opensearch';
import { rejection, ndjson } from '../../support/opensearch';

let opensearch: LocalOpenSearch;
let client: Client;

beforeAll(async () => {
  opensearch = await startOpenSearchEmulator({ refreshIntervalMs: -1, maxContentLengthBytes: 64 * 1024 });
  client = new Client({ node: opensearch.endpoint, maxRetries: 0 });
});

afterAll(async () => {
  await client.close();
  await opensearch.stop();
});

beforeEach(() => opensearch.reset());



/** `{action: {status, error?.type}}` of each bulk item, in order. */
type Item = Record<string, { status: number; result?: string; error?: { type: string; reason?: string } }>;
const summary = (items: Item[]): string[] =>
  items.map((item) => {
    const [action, result] = Object.entries(item)[0]!;
    return `${action} ${result.status} ${result.error?.type ?? result.result ?? ''}`;
  });

test('mixed actions: each item answers in order with its own status and error', async () => {
  await client.indices.create({ index: 'readings', body: { mappings: { dynamic: 'strict', properties: { device: { type: 'keyword' }, temperature_c: { type: 'double' } } } } });
  await client.index({ index: 'readings', id: 'existing', body: { device: 'd0', temperature_c: 1 } });
  const response = await client.bulk({
    body: [
      { index: { _index: 'readings', _id: 'a' } }, { device: 'd1', temperature_c: 21.5 },
      { create: { _index: 'readings', _id: 'existing' } }, { device: 'd0', temperature_c: 2 },
      { index: { _index: 'readings', _id: 'b' } }, { device: 'd2', temperature_c: 'warm' },
      { index: { _index: 'readings', _id: 'c' } }, { device: 'd3', humidity: 40 },
      { update: { _index: 'readings', _id: 'a' } }, { doc: { temperature_c: 22 } },
      { update: { _index: 'readings', _id: 'ghost' } }, { doc: { temperature_c: 1 } },
      { delete: { _index: 'readings', _id: 'existing' } },
      { delete: { _index: 'readings', _id: 'never' } },
      { index: { _index: 'other-index' } }, { free: 'form' },
    ],
  });
  expect(response.statusCode).toBe(200);
  expect(response.body.errors).toBe(true);
  const items = response.body.items as unknown as Item[];
  expect(summary(items)).toEqual([
    'index 201 created',
    'create 409 version_conflict_engine_exception',
    'index 400 mapper_parsing_exception',
    'index 400 strict_dynamic_mapping_exception',
    'update 200 updated',
    'update 404 document_missing_exception',
    'delete 200 deleted',
    'delete 404 not_found',
    'index 201 created',
  ]);
  expect(items[1]!.create).toMatchObject({ _index: 'readings', _id: 'existing', error: { reason: '[existing]: version conflict, document already exists (current version [1])', index: 'readings', shard: '0', index_uuid: expect.any(String) as unknown } });
  expect(items[2]!.index!.error).toEqual({
    type: 'mapper_parsing_exception',
    reason: "failed to parse field [temperature_c] of type [double] in document with id 'b'. Preview of field's value: 'warm'",
    caused_by: { type: 'number_format_exception', reason: 'For input string: "warm"' },
  });
  expect(opensearch.documents('readings').map((d) => [d._id, d._source])).toEqual([['a', { device: 'd1', temperature_c: 22 }]]);
  expect(opensearch.documents('other-index')[0]!._id).toMatch(/^[\w-]{20}$/);
});

test('a body without its final newline is refused whole; so is a malformed action line', async () => {
  const unterminated = await rejection(client.bulk({ body: ndjson('{"index":{"_index":"x","_id":"1"}}\n{"a":1}') }));
  expect(unterminated).toEqual({
    statusCode: 400,
    body: {
      error: {
        root_cause: [{ type: 'illegal_argument_exception', reason: 'The bulk request must be terminated by a newline [\\n]' }],
        type: 'illegal_argument_exception',
        reason: 'The bulk request must be terminated by a newline [\\n]',
      },
      status: 400,
    },
  });
  const malformed = await rejection(client.bulk({ body: ndjson('{"index":{"_index":"x"}}\n{"a":1}\n{"insert":{"_index":"x"}}\n{"a":2}\n') }));
  expect(malformed.body).toMatchObject({ error: { type: 'illegal_argument_exception', reason: 'Malformed action/metadata line [3], expected one of [create, delete, index, update] but found [insert]' }, status: 400 });
  expect(opensearch.indices()).toEqual([]);
  const empty = await rejection(client.bulk({ body: ndjson('\n') }));
  expect(empty.body).toMatchObject({ error: { type: 'action_request_validation_exception', reason: 'Validation Failed: 1: no requests added;' } });
});

test('bodies over http.max_content_length get 413', async () => {
  const big = [{ index: { _index: 'x' } }, { blob: 'x'.repeat(70 * 1024) }];
  const tooLarge = await rejection(client.bulk({ body: big }));
  expect(tooLarge).toEqual({ statusCode: 413, body: { Message: 'Request size exceeded 65536 bytes' } });
  // The server still answers afterwards.
  await expect(client.bulk({ body: [{ index: { _index: 'x' } }, { small: true }] })).resolves.toMatchObject({ statusCode: 200 });
});

test('bulk item faults: 429 for the first items, success when the same items are retried', async () => {
  const fault = opensearch.faults.failBulkItems({ count: 2, match: { index: 'telemetry-*' } });
  const body = [1, 2, 3].flatMap((n) => [{ index: { _index: 'telemetry-a', _id: String(n) } }, { n }]);
  const first = await client.bulk({ body });
  const items = first.body.items as unknown as Item[];
  expect(summary(items)).toEqual(['index 429 es_rejected_execution_exception', 'index 429 es_rejected_execution_exception', 'index 201 created']);
  expect(fault.remaining).toBe(0);
  expect(fault.fired).toBe(2);

  const retried = await client.bulk({ body: body.slice(0, 4) });
  expect(retried.body.errors).toBe(false);
  expect(opensearch.documents('telemetry-a').map((d) => d._id).sort()).toEqual(['1', '2', '3']);
  expect(opensearch.requests.faultsFired).toBe(2);
});

test('the client\'s bulk helper retries 429 items by itself', async () => {
  opensearch.faults.failBulkItems({ count: 3, match: (item) => item.action === 'index' && item.document?.n !== 0 });
  const result = await client.helpers.bulk({
    datasource: Array.from({ length: 10 }, (_, n) => ({ n })),
    onDocument: (doc: { n: number }) => ({ index: { _index: 'helper', _id: String(doc.n) } }),
    retries: 3,
    wait: 1,
    refreshOnCompletion: true,
  });
  // The helper counts retried NDJSON lines (action + document): 3 documents, 6 lines.
  expect(result).toMatchObject({ total: 10, successful: 10, failed: 0, retry: 6 });
  expect(opensearch.requests.faultsFired).toBe(3);
  expect((await client.count({ index: 'helper' })).body.count).toBe(10);
});

test('request faults fail whole requests, then the next ones succeed', async () => {
  opensearch.faults.failRequests({ count: 2, status: 429, match: { operation: 'bulk' } });
  const body = [{ index: { _index: 'r', _id: '1' } }, { a: 1 }];
  const first = await rejection(client.bulk({ body }));
  expect(first).toMatchObject({ statusCode: 429, body: { error: { type: 'es_rejected_execution_exception' }, status: 429 } });
  await expect(client.info()).resolves.toMatchObject({ statusCode: 200 });
  expect((await rejection(client.bulk({ body }))).statusCode).toBe(429);
  await expect(client.bulk({ body })).resolves.toMatchObject({ statusCode: 200 });

  opensearch.faults.failRequests({ status: 503, body: { message: 'Service Unavailable' } });
  expect(await rejection(client.search({ index: 'r' }))).toEqual({ statusCode: 503, body: { message: 'Service Unavailable' } });
  expect(opensearch.requests.faulted).toBe(3);
  expect(opensearch.requestLog().filter((r) => r.faulted).map((r) => `${r.operation} ${r.status}`)).toEqual(['bulk 429', 'bulk 429', 'search 503']);
});

test('mapping faults fail matching documents with mapper_parsing_exception until cleared', async () => {
  opensearch.faults.failMapping({ field: 'device', match: { document: { device: 'poison' } } });
  const response = await client.bulk({
    body: [
      { index: { _index: 'm', _id: '1' } }, { device: 'ok' },
      { index: { _index: 'm', _id: '2' } }, { device: 'poison' },
      { index: { _index: 'm', _id: '3' } }, { device: 'poison' },
    ],
  });
  expect(summary(response.body.items as unknown as Item[])).toEqual(['index 201 created', 'index 400 mapper_parsing_exception', 'index 400 mapper_parsing_exception']);
  expect((response.body.items[1] as unknown as Item).index!.error!.reason).toBe("failed to parse field [device] of type [unknown] in document with id '2'. Preview of field's value: 'poison'");
  opensearch.faults.clear();
  await expect(client.index({ index: 'm', id: '2', body: { device: 'poison' } })).resolves.toMatchObject({ statusCode: 201 });
});

test('faults over HTTP: POST /_emulator/faults, list, clear (private routes are never faulted)', async () => {
  const plain = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${opensearch.endpoint}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: await response.json() };
  };
  expect(await plain('POST', '/_emulator/faults', { kind: 'bulk_item', count: 1, status: 503, match: { action: 'create' } })).toEqual({ status: 200, body: { id: expect.any(String) as unknown, kind: 'bulk_item', remaining: 1 } });
  expect(await plain('POST', '/_emulator/faults', { kind: 'request', status: 429, count: -1, match: { path: '/_emulator*' } })).toMatchObject({ status: 200, body: { remaining: -1 } });
  expect(await plain('POST', '/_emulator/faults', { kind: 'sometimes' })).toMatchObject({ status: 400 });
  expect((await plain('GET', '/_emulator/faults')).body).toMatchObject({ faults: [{ kind: 'bulk_item', remaining: 1 }, { kind: 'request', remaining: -1 }] });

  const response = await client.bulk({ body: [{ create: { _index: 'h', _id: '1' } }, { a: 1 }, { create: { _index: 'h', _id: '2' } }, { a: 2 }] });
  expect(summary(response.body.items as unknown as Item[])).toEqual(['create 503 unavailable_shards_exception', 'create 201 created']);
  expect((await plain('GET', '/_emulator/documents/h')).body).toMatchObject({ index: 'h', documents: [{ _id: '2', _version: 1, _source: { a: 2 } }] });
  expect((await plain('GET', '/_emulator/requests')).body).toMatchObject({ byOperation: { bulk: 1 } });

  expect(await plain('DELETE', '/_emulator/faults')).toEqual({ status: 200, body: { acknowledged: true } });
  expect((await plain('GET', '/_emulator/faults')).body).toEqual({ faults: [] });
  expect(await plain('POST', '/_emulator/reset')).toEqual({ status: 200, body: { acknowledged: true } });
  expect(opensearch.indices()).toEqual([]);
});

import { errors } from '@opensearch-project/opensearch';
import type { OpenSearchBulkSinkOptions } from '../../../../lib/sinks/opensearch';
import { DEFAULT_MAX_BULK_BYTES, OpenSearchBulkResponseError, OpenSearchBulkSink, OpenSearchRequestRejectedError } from '../../../../lib/sinks/opensearch';
import type { SinkItem } from '../../../../lib/sinks/sink';
import type { BulkScript } from './fake-bulk-client';
import { errorBody, fakeBulkClient, responseError } from './fake-bulk-client';

interface Value {
  readonly id: string;
  readonly day: string;
  readonly n: number;
  readonly extra?: unknown;
}

const items = (ids: readonly string[], firstRef = 0): SinkItem<Value>[] =>
  ids.map((id, i) => ({ ref: firstRef + i * 10, value: { id, day: '2026.11.25', n: i } }));

function sinkWith(script?: BulkScript, options: Partial<OpenSearchBulkSinkOptions<Value>> = {}) {
  const fake = fakeBulkClient(script);
  const waits: number[] = [];
  const sink = new OpenSearchBulkSink<Value>({
    client: fake.client,
    indexOf: (v) => `things-${v.day}`,
    idOf: (v) => v.id,
    documentOf: (v) => ({ n: v.n, ...(v.extra !== undefined ? { extra: v.extra } : {}) }),
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    ...options,
  });
  return { sink, waits, ...fake };
}

/** Fails the documents named in `failing` with `reply` on the calls listed (1-based). */
const failOn = (calls: readonly number[], failing: readonly string[], reply: { status: number; type?: string; reason?: string }): BulkScript =>
  (_docs, call) => (calls.includes(call) ? (d) => (failing.includes(d.id) ? reply : { status: 201 }) : undefined);

const THROTTLED = { status: 429, type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' };

describe('OpenSearchBulkSink', () => {
  test('indexes every value in one NDJSON request: index actions with the derived ids, every line newline-terminated', async () => {
    const { sink, requests, store, waits } = sinkWith(undefined, { refresh: 'wait_for' });
    const result = await sink.write(items(['a', 'b', 'c']));
    expect(result.failures).toEqual([]);
    expect(result.stats).toEqual({ items: 3, written: 3, attempts: 1, requests: 1, retriedItems: 0, splitRequests: 0, transientFailures: 0, permanentFailures: 0 });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.body).toBe(
      '{"index":{"_index":"things-2026.11.25","_id":"a"}}\n{"n":0}\n' +
      '{"index":{"_index":"things-2026.11.25","_id":"b"}}\n{"n":1}\n' +
      '{"index":{"_index":"things-2026.11.25","_id":"c"}}\n{"n":2}\n',
    );
    expect(requests[0]!.refresh).toBe('wait_for');
    expect([...store.keys()]).toEqual(['things-2026.11.25/a', 'things-2026.11.25/b', 'things-2026.11.25/c']);
    expect(waits).toEqual([]);
  });

  test('sends nothing for no items', async () => {
    const { sink, requests } = sinkWith();
    expect(await sink.write([])).toMatchObject({ failures: [], stats: { items: 0, attempts: 0, requests: 0 } });
    expect(requests).toHaveLength(0);
  });

  test('retries only the items OpenSearch throttled (429), after a full-jitter wait, until they are written', async () => {
    const { sink, requests, store, waits } = sinkWith(failOn([1, 2], ['b', 'd'], THROTTLED), { backoff: { baseMs: 100, capMs: 1_000 } });
    const result = await sink.write(items(['a', 'b', 'c', 'd']));
    expect(result.failures).toEqual([]);
    expect(requests.map((r) => r.documents.map((d) => d.id))).toEqual([['a', 'b', 'c', 'd'], ['b', 'd'], ['b', 'd']]);
    expect(store.size).toBe(4);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeLessThan(100);
    expect(waits[1]).toBeLessThan(200);
    expect(result.stats).toMatchObject({ written: 4, attempts: 3, requests: 3, retriedItems: 4 });
  });

  test('reports items still failing with a 5xx after maxAttempts as transient, with the last error', async () => {
    const unavailable = { status: 503, type: 'unavailable_shards_exception', reason: '[things][0] primary shard is not active' };
    const { sink, requests, waits } = sinkWith(failOn([1, 2, 3], ['b'], unavailable), { maxAttempts: 3 });
    const result = await sink.write(items(['a', 'b', 'c'], 7));
    expect(result.failures).toEqual([{ ref: 17, kind: 'transient', code: 'unavailable_shards_exception', message: '[things][0] primary shard is not active' }]);
    expect(requests.map((r) => r.documents.map((d) => d.id))).toEqual([['a', 'b', 'c'], ['b'], ['b']]);
    expect(waits).toHaveLength(2);
    expect(result.stats).toMatchObject({ written: 2, attempts: 3, retriedItems: 2, transientFailures: 1, permanentFailures: 0 });
  });

  test('reports documents OpenSearch rejects (mapping errors) as permanent under their refs, and never resends them', async () => {
    const script: BulkScript = () => (d) => {
      if (d.id === 'b') return { status: 400, type: 'mapper_parsing_exception', reason: "failed to parse field [n] of type [long] in document with id 'b'", causedBy: { type: 'illegal_argument_exception', reason: 'For input string: "x"' } };
      if (d.id === 'd') return { status: 400, type: 'strict_dynamic_mapping_exception', reason: 'mapping set to strict, dynamic introduction of [extra] within [_doc] is not allowed' };
      if (d.id === 'c') return THROTTLED;
      return { status: 200 };
    };
    let calls = 0;
    const { sink, requests } = sinkWith((docs, call) => {
      calls = call;
      return call === 1 ? script(docs, call) : undefined;
    });
    const result = await sink.write(items(['a', 'b', 'c', 'd'], 100));
    expect(result.failures).toEqual([
      { ref: 110, kind: 'permanent', code: 'mapper_parsing_exception', message: "failed to parse field [n] of type [long] in document with id 'b' (caused by illegal_argument_exception: For input string: \"x\")" },
      { ref: 130, kind: 'permanent', code: 'strict_dynamic_mapping_exception', message: 'mapping set to strict, dynamic introduction of [extra] within [_doc] is not allowed' },
    ]);
    expect(calls).toBe(2);
    expect(requests[1]!.documents.map((d) => d.id)).toEqual(['c']);
    expect(result.stats).toMatchObject({ written: 2, permanentFailures: 2, transientFailures: 0 });
  });

  test('an item with a 4xx and no error body is permanent, coded by its status', async () => {
    const { sink } = sinkWith(() => () => ({ status: 404 }));
    const result = await sink.write(items(['a']));
    expect(result.failures).toEqual([{ ref: 0, kind: 'permanent', code: 'error', message: 'status 404' }]);
  });

  describe('whole-request failures', () => {
    test('a connection error, a timeout or a whole-request 429/5xx resends the whole request', async () => {
      const failures = [
        new errors.ConnectionError('socket hang up'),
        new errors.TimeoutError('Request timed out', {} as never),
        responseError(429, errorBody(429, 'es_rejected_execution_exception', 'rejected execution')),
        responseError(502, '<html>Bad Gateway</html>'),
      ];
      const { sink, requests, store, waits } = sinkWith((_docs, call) => {
        const failure = failures[call - 1];
        if (failure) throw failure;
        return undefined;
      });
      const result = await sink.write(items(['a', 'b']));
      expect(result.failures).toEqual([]);
      expect(requests).toHaveLength(5);
      expect(requests.every((r) => r.documents.length === 2)).toBe(true);
      expect(store.size).toBe(2);
      expect(waits).toHaveLength(4);
      expect(result.stats).toMatchObject({ attempts: 5, requests: 5, retriedItems: 8, written: 2 });
    });

    test('after maxAttempts, every item of a failing request is a transient failure with the error', async () => {
      const { sink, requests } = sinkWith(() => {
        throw responseError(503, errorBody(503, 'cluster_block_exception', 'blocked by: [SERVICE_UNAVAILABLE/2/no master]'));
      }, { maxAttempts: 2 });
      const result = await sink.write(items(['a', 'b']));
      expect(requests).toHaveLength(2);
      expect(result.failures).toEqual([
        { ref: 0, kind: 'transient', code: 'cluster_block_exception', message: 'blocked by: [SERVICE_UNAVAILABLE/2/no master]' },
        { ref: 10, kind: 'transient', code: 'cluster_block_exception', message: 'blocked by: [SERVICE_UNAVAILABLE/2/no master]' },
      ]);

      const timedOut = sinkWith(() => {
        throw new errors.TimeoutError('Request timed out', {} as never);
      }, { maxAttempts: 1 });
      expect((await timedOut.sink.write(items(['a']))).failures).toEqual([{ ref: 0, kind: 'transient', code: 'TimeoutError', message: 'Request timed out' }]);
    });

    test('a 413 splits the request in halves until each fits, without waiting or spending an attempt', async () => {
      const { sink, requests, store, waits } = sinkWith((docs) => {
        // Amazon's front end answers 413 itself, with a body of its own.
        if (docs.length > 2) throw responseError(413, { Message: 'Request size exceeded 10485760 bytes' });
        return undefined;
      }, { maxAttempts: 1 });
      const result = await sink.write(items(['a', 'b', 'c', 'd', 'e']));
      expect(result.failures).toEqual([]);
      expect(requests.map((r) => r.documents.map((d) => d.id))).toEqual([['a', 'b', 'c', 'd', 'e'], ['a', 'b', 'c'], ['a', 'b'], ['c'], ['d', 'e']]);
      expect(store.size).toBe(5);
      expect(waits).toEqual([]);
      expect(result.stats).toMatchObject({ attempts: 1, requests: 5, splitRequests: 2 });
    });

    test('a single document answered 413 is a permanent failure', async () => {
      const { sink } = sinkWith(() => {
        throw responseError(413, { Message: 'Request size exceeded 10485760 bytes' });
      });
      const result = await sink.write(items(['a', 'b']));
      expect(result.failures).toEqual([
        { ref: 0, kind: 'permanent', code: '413', message: 'the document alone is too large for the domain: Request size exceeded 10485760 bytes' },
        { ref: 10, kind: 'permanent', code: '413', message: 'the document alone is too large for the domain: Request size exceeded 10485760 bytes' },
      ]);
    });

    test('any other 4xx on the request throws a typed error: a bug or a misconfiguration, not data', async () => {
      const forbidden = sinkWith(() => {
        throw responseError(403, errorBody(403, 'security_exception', 'no permissions for [indices:data/write/bulk]'));
      });
      const error = await forbidden.sink.write(items(['a'])).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenSearchRequestRejectedError);
      expect(error).toMatchObject({ name: 'OpenSearchRequestRejectedError', statusCode: 403, errorType: 'security_exception' });
      expect(forbidden.requests).toHaveLength(1);

      const malformed = sinkWith(() => {
        throw responseError(400, errorBody(400, 'illegal_argument_exception', 'The bulk request must be terminated by a newline [\\n]'));
      });
      await expect(malformed.sink.write(items(['a']))).rejects.toMatchObject({ statusCode: 400, errorType: 'illegal_argument_exception' });
    });

    test('errors that are not the client\'s are rethrown as they are', async () => {
      const bug = new TypeError('cannot read properties of undefined');
      const { sink } = sinkWith(() => {
        throw bug;
      });
      await expect(sink.write(items(['a']))).rejects.toBe(bug);
    });

    test('a response whose items do not match the request throws', async () => {
      const client = { bulk: () => Promise.resolve({ body: { took: 1, errors: false, items: [] }, statusCode: 200 }) };
      const sink = new OpenSearchBulkSink<Value>({ client: client as never, indexOf: () => 'i', idOf: (v) => v.id, documentOf: (v) => ({ n: v.n }) });
      await expect(sink.write(items(['a']))).rejects.toBeInstanceOf(OpenSearchBulkResponseError);
    });
  });

  describe('chunking', () => {
    test('cuts requests by bytes: no body over the limit, every document sent once, in order', async () => {
      const maxBulkBytes = 300;
      const { sink, requests } = sinkWith(undefined, { maxBulkBytes });
      const ids = Array.from({ length: 20 }, (_, i) => `doc-${i}`);
      const result = await sink.write(items(ids));
      expect(result.failures).toEqual([]);
      expect(requests.length).toBeGreaterThan(1);
      for (const request of requests) expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(maxBulkBytes);
      expect(requests.flatMap((r) => r.documents.map((d) => d.id))).toEqual(ids);
      // Full: adding the next document would have crossed the limit.
      const line = Buffer.byteLength(requests[1]!.body) / requests[1]!.documents.length;
      expect(Buffer.byteLength(requests[0]!.body) + line).toBeGreaterThan(maxBulkBytes);
    });

    test('cuts requests by count', async () => {
      const { sink, requests } = sinkWith(undefined, { maxBulkItems: 2 });
      await sink.write(items(['a', 'b', 'c', 'd', 'e']));
      expect(requests.map((r) => r.documents.length)).toEqual([2, 2, 1]);
    });

    test('defaults to 5 MiB requests', () => {
      expect(DEFAULT_MAX_BULK_BYTES).toBe(5 * 1024 * 1024);
    });

    test('counts bytes, not characters', async () => {
      // Each document is ≈ 100 characters but ≈ 143 bytes: two fit 250 characters, not 250 bytes.
      const { sink, requests } = sinkWith(undefined, { maxBulkBytes: 250 });
      const values: SinkItem<Value>[] = [0, 1, 2].map((i) => ({ ref: i, value: { id: `é${i}`, day: 'd', n: i, extra: 'ü'.repeat(40) } }));
      expect((await sink.write(values)).failures).toEqual([]);
      for (const request of requests) expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(250);
      expect(requests[0]!.body.length * 2).toBeLessThanOrEqual(250);
      expect(requests).toHaveLength(3);
    });
  });

  describe('documents that cannot be sent', () => {
    test('are permanent failures, and the others are still written', async () => {
      const { sink, requests } = sinkWith(undefined, { maxBulkBytes: 1_000 });
      const values: SinkItem<Value>[] = [
        { ref: 1, value: { id: 'ok', day: 'd', n: 1 } },
        { ref: 2, value: { id: 'x'.repeat(513), day: 'd', n: 2 } },
        { ref: 3, value: { id: 'big', day: 'd', n: 3, extra: 'y'.repeat(1_000) } },
        { ref: 4, value: { id: 'bigint', day: 'd', n: 4, extra: 10n } },
        { ref: 5, value: { id: '', day: 'd', n: 5 } },
        { ref: 6, value: { id: 'é'.repeat(256), day: 'd', n: 6 } }, // 512 bytes: allowed
      ];
      const result = await sink.write(values);
      expect(result.failures.map((f) => [f.ref, f.kind, f.code])).toEqual([
        [2, 'permanent', 'invalid_document_id'],
        [3, 'permanent', 'document_too_large'],
        [4, 'permanent', 'invalid_document'],
        [5, 'permanent', 'invalid_document_id'],
      ]);
      expect(requests.flatMap((r) => r.documents.map((d) => d.id))).toEqual(['ok', 'é'.repeat(256)]);
    });

    test('a value the callbacks throw on is a permanent failure', async () => {
      const fake = fakeBulkClient();
      const sink = new OpenSearchBulkSink<Value>({
        client: fake.client,
        indexOf: () => 'i',
        idOf: (v) => {
          if (v.n === 1) throw new Error('no id for this one');
          return v.id;
        },
        documentOf: (v) => ({ n: v.n }),
      });
      const result = await sink.write(items(['a', 'b']));
      expect(result.failures).toEqual([{ ref: 10, kind: 'permanent', code: 'invalid_document', message: 'cannot make a document of the value: no id for this one' }]);
      expect(fake.store.size).toBe(1);
    });
  });

  test('is idempotent: writing the same values again (a replay, a retry) overwrites the same documents', async () => {
    const { sink, requests, store } = sinkWith();
    await sink.write(items(['a', 'b', 'c']));
    await sink.write(items(['c', 'b', 'a']));
    expect(store.size).toBe(3);
    const ids = requests.map((r) => r.documents.map((d) => `${d.index}/${d.id}`).sort());
    expect(ids[0]).toEqual(ids[1]);
  });

  test('refuses nonsense options', () => {
    const { client } = fakeBulkClient();
    const base = { client, indexOf: () => 'i', idOf: () => 'x', documentOf: () => ({}) };
    expect(() => new OpenSearchBulkSink({ ...base, maxAttempts: 0 })).toThrow(RangeError);
    expect(() => new OpenSearchBulkSink({ ...base, maxBulkItems: 0 })).toThrow(RangeError);
  });
});

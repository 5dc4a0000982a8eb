/**
 * The client factory against a small local HTTP server that records what it receives: request
 * signing (and its absence), the endpoint forms, and how the real transport's errors reach the
 * bulk sink.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOpenSearchClient, OpenSearchBulkSink, OpenSearchConfigError } from '../../../../lib/sinks/opensearch';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

type Responder = (request: Received) => { status: number; body: unknown; contentType?: string };

const received: Received[] = [];
let respond: Responder = () => ({ status: 200, body: { took: 1, errors: false, items: [] } });
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString(req.headers['content-encoding'] === 'gzip' ? 'latin1' : 'utf8') };
      received.push(request);
      const { status, body, contentType } = respond(request);
      res.writeHead(status, { 'content-type': contentType ?? 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
});

beforeEach(() => {
  received.length = 0;
  respond = () => ({ status: 200, body: { acknowledged: true } });
});

const BULK_OK: Responder = (r) => {
  const actions = r.body.split('\n').filter((_, i) => i % 2 === 0 && _ !== '');
  return { status: 200, body: { took: 1, errors: false, items: actions.map(() => ({ index: { _index: 'i', status: 201 } })) } };
};

describe('createOpenSearchClient', () => {
  test('signs every request with SigV4 for the es service: scope, session token, and the payload hash', async () => {
    const client = createOpenSearchClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session-token' } });
    respond = BULK_OK;
    const body = '{"index":{"_index":"i","_id":"1"}}\n{"a":1}\n';
    await client.bulk({ body: body as never });
    const [request] = received;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/_bulk');
    expect(request!.body).toBe(body);
    expect(request!.headers['content-type']).toBe('application/x-ndjson');
    expect(request!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/es\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/);
    expect(request!.headers['x-amz-security-token']).toBe('session-token');
    expect(request!.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
    expect(request!.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(request!.headers['content-encoding']).toBeUndefined();
    await client.close();
  });

  test('signs for OpenSearch Serverless with service aoss, and asks a credentials provider', async () => {
    const provider = jest.fn(() => Promise.resolve({ accessKeyId: 'AKIDPROVIDED', secretAccessKey: 'secret' }));
    const client = createOpenSearchClient({ endpoint, region: 'us-east-1', service: 'aoss', credentials: provider });
    await client.indices.putIndexTemplate({ name: 't', body: { index_patterns: ['t-*'] } });
    await client.indices.putIndexTemplate({ name: 't', body: { index_patterns: ['t-*'] } });
    expect(received).toHaveLength(2);
    for (const request of received) expect(request.headers.authorization).toMatch(/Credential=AKIDPROVIDED\/\d{8}\/us-east-1\/aoss\/aws4_request/);
    // Credentials without an expiry are fetched once, not per request.
    expect(provider).toHaveBeenCalledTimes(1);
    await client.close();
  });

  test('takes credentials from the SDK provider chain by default (here, the environment)', async () => {
    const client = createOpenSearchClient({ endpoint, region: 'eu-west-1' });
    await client.indices.putIndexTemplate({ name: 't', body: { index_patterns: ['t-*'] } });
    expect(received[0]!.headers.authorization).toMatch(new RegExp(`Credential=${process.env.AWS_ACCESS_KEY_ID}/`));
    await client.close();
  });

  test('gzips bodies when asked, and signs the compressed bytes', async () => {
    const rawBodies: Buffer[] = [];
    respond = (r) => {
      rawBodies.push(Buffer.from(r.body, 'latin1'));
      return BULK_OK({ ...r, body: gunzipSync(Buffer.from(r.body, 'latin1')).toString('utf8') });
    };
    const client = createOpenSearchClient({ endpoint, region: 'eu-west-1', compression: true, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
    const body = '{"index":{"_index":"i","_id":"1"}}\n{"a":1}\n';
    await client.bulk({ body: body as never });
    expect(received[0]!.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(rawBodies[0]!).toString('utf8')).toBe(body);
    expect(received[0]!.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(rawBodies[0]!).digest('hex'));
    await client.close();
  });

  test('sends unsigned requests with signing none', async () => {
    const client = createOpenSearchClient({ endpoint, region: '', signing: 'none' });
    await client.indices.putIndexTemplate({ name: 't', body: { index_patterns: ['t-*'] } });
    expect(received[0]!.headers.authorization).toBeUndefined();
    expect(received[0]!.headers['x-amz-date']).toBeUndefined();
    await client.close();
  });

  test('assumes https for an endpoint without a scheme, and refuses one that is not a URL or a signer without region', async () => {
    const client = createOpenSearchClient({ endpoint: 'search-demo-abc.eu-west-1.es.amazonaws.com', region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    expect(client.connectionPool.connections[0]!.url.toString()).toBe('https://search-demo-abc.eu-west-1.es.amazonaws.com/');
    await client.close();
    expect(() => createOpenSearchClient({ endpoint: 'http://exa mple', region: 'eu-west-1' })).toThrow(OpenSearchConfigError);
    expect(() => createOpenSearchClient({ endpoint, region: '' })).toThrow(OpenSearchConfigError);
  });
});

describe('the real transport\'s errors, as the bulk sink sees them', () => {
  const sinkOf = (maxAttempts: number) => {
    const client = createOpenSearchClient({ endpoint, region: '', signing: 'none' });
    const sink = new OpenSearchBulkSink<{ id: string }>({
      client, indexOf: () => 'things', idOf: (v) => v.id, documentOf: (v) => ({ v: v.id }), maxAttempts, sleep: () => Promise.resolve(),
    });
    return { client, sink };
  };

  test('a 413 from the front end splits; a 503 (HTML, not JSON) is retried by the sink, not by the client', async () => {
    let unavailable = 1;
    respond = (r) => {
      const documents = (r.body.split('\n').length - 1) / 2;
      if (documents > 2) return { status: 413, body: '{"Message":"Request size exceeded 10485760 bytes"}' };
      if (documents === 2 && unavailable-- > 0) return { status: 503, body: '<html>Service Unavailable</html>', contentType: 'text/html' };
      return BULK_OK(r);
    };
    const { client, sink } = sinkOf(3);
    const result = await sink.write([{ ref: 1, value: { id: 'a' } }, { ref: 2, value: { id: 'b' } }, { ref: 3, value: { id: 'c' } }]);
    expect(result.failures).toEqual([]);
    // [a,b,c] 413 → [a,b] 503, [c] ok → next round [a,b] ok: each request reached the server once.
    expect(result.stats).toMatchObject({ written: 3, attempts: 2, requests: 4, splitRequests: 1, retriedItems: 2 });
    expect(received).toHaveLength(4);
    await client.close();
  });

  test('an unreachable endpoint is a retried connection error, then transient failures', async () => {
    const client = createOpenSearchClient({ endpoint: 'http://127.0.0.1:1', region: '', signing: 'none' });
    const sink = new OpenSearchBulkSink<{ id: string }>({ client, indexOf: () => 'i', idOf: (v) => v.id, documentOf: () => ({}), maxAttempts: 2, sleep: () => Promise.resolve() });
    const result = await sink.write([{ ref: 5, value: { id: 'a' } }]);
    expect(result.failures).toEqual([expect.objectContaining({ ref: 5, kind: 'transient', code: 'ConnectionError' })]);
    expect(result.stats.requests).toBe(2);
    await client.close();
  });

  test('a 403 (missing IAM permission) throws', async () => {
    respond = () => ({ status: 403, body: { message: 'User: arn:aws:sts::123:assumed-role/x is not authorized to perform: es:ESHttpPost' } });
    const { client, sink } = sinkOf(3);
    await expect(sink.write([{ ref: 1, value: { id: 'a' } }])).rejects.toMatchObject({ name: 'OpenSearchRequestRejectedError', statusCode: 403 });
    expect(received).toHaveLength(1);
    await client.close();
  });
});

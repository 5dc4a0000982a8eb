/** The SigV4 check, against requests signed by the official client's own signer. */
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';
import { FrontEndError } from '../../../../lib/local/opensearch/errors';
import { checkSignature, type SignedRequest } from '../../../../lib/local/opensearch/sigv4';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

/** Signs a request as the client would, and returns it as the server receives it. */
function signed(method: string, path: string, body: string): SignedRequest {
  const { buildSignedRequestObject } = AwsSigv4Signer({ region: 'eu-west-1', service: 'es', getCredentials: () => Promise.resolve(CREDENTIALS) });
  const request = buildSignedRequestObject({
    method, path, hostname: '127.0.0.1', port: 9200, body,
    headers: { 'content-type': 'application/json' },
    auth: { credentials: CREDENTIALS, region: 'eu-west-1', service: 'es' },
  }) as { path: string; headers: Record<string, string> };
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  return { method, rawUrl: request.path, headers, body: Buffer.from(body) };
}

function denial(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    if (error instanceof FrontEndError) return { status: error.status, body: error.body };
    throw error;
  }
  throw new Error('expected a refusal');
}

test('an unsigned request is refused as an anonymous principal', () => {
  expect(denial(() => checkSignature({ method: 'POST', rawUrl: '/_bulk', headers: {}, body: Buffer.alloc(0) }))).toEqual({
    status: 403,
    body: { Message: 'User: anonymous is not authorized to perform: es:ESHttpPost because no resource-based policy allows the es:ESHttpPost action' },
  });
});

test('a request signed by the client passes, also with the signature verified (paths with escapes and query strings)', () => {
  const request = signed('POST', '/telemetry-%2A/_search?size=5&filter_path=hits.hits._source', '{"query":{"match_all":{}}}');
  expect(checkSignature(request)).toBe('AKIDEXAMPLE');
  expect(checkSignature(request, { credentials: CREDENTIALS, region: 'eu-west-1' })).toBe('AKIDEXAMPLE');
  const withSpaces = signed('PUT', '/idx/_doc/a%20b%2Fc', '{}');
  expect(checkSignature(withSpaces, { credentials: CREDENTIALS })).toBe('AKIDEXAMPLE');
});

test('a wrong secret, a tampered body, another region or service are refused', () => {
  const request = signed('POST', '/_bulk', '{"index":{}}\n{}\n');
  expect(denial(() => checkSignature(request, { credentials: { ...CREDENTIALS, secretAccessKey: 'other' } }))).toMatchObject({ status: 403, body: { message: expect.stringContaining('signature we calculated does not match') as unknown } });
  expect(denial(() => checkSignature({ ...request, body: Buffer.from('{"index":{}}\n{"x":1}\n') }))).toMatchObject({ status: 403, body: { message: expect.stringContaining('x-amz-content-sha256') as unknown } });
  expect(denial(() => checkSignature(request, { region: 'us-east-1' }))).toMatchObject({ status: 403 });
  expect(denial(() => checkSignature(request, { service: 'aoss' }))).toMatchObject({ status: 403 });
});

test('an expired signature is refused', () => {
  const request = signed('GET', '/', '');
  expect(denial(() => checkSignature(request, {}, Date.now() + 20 * 60_000))).toMatchObject({ status: 403, body: { message: expect.stringContaining('Signature expired') as unknown } });
});

/**
 * `requireSignedRequests`: the official client signing with `AwsSigv4Signer` (static test
 * credentials) is served; unsigned requests and wrong secrets get Amazon's 403.
 */
import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';
import { startOpenSearchEmulator, type LocalOpenSearch } from '../../../lib/local/opensearch';
import { rejection, ndjson } from '../../support/opensearch';

const REGION = 'eu-west-1';
const CREDENTIALS = { accessKeyId: 'AKIATESTLOCAL', secretAccessKey: 'local-test-secret' };

const signedClient = (endpoint: string, secretAccessKey = CREDENTIALS.secretAccessKey): Client =>
  new Client({
    ...AwsSigv4Signer({ region: REGION, service: 'es', getCredentials: () => Promise.resolve({ ...CREDENTIALS, secretAccessKey }) }),
    node: endpoint,
    maxRetries: 0,
  });



describe('signature presence (requireSignedRequests: true)', () => {
  let opensearch: LocalOpenSearch;
  beforeAll(async () => {
    opensearch = await startOpenSearchEmulator({ refreshIntervalMs: -1, requireSignedRequests: true });
  });
  afterAll(() => opensearch.stop());

  test('signed requests are served, unsigned ones refused with 403', async () => {
    const signed = signedClient(opensearch.endpoint);
    const unsigned = new Client({ node: opensearch.endpoint, maxRetries: 0 });
    try {
      const bulk = await signed.bulk({ refresh: true, body: [{ index: { _index: 'telemetry-a', _id: '1' } }, { device: 'd1' }] });
      expect(bulk.body.errors).toBe(false);
      const found = await signed.search({ index: 'telemetry-*', body: { query: { term: { 'device.keyword': 'd1' } } } });
      expect(found.body.hits.total).toEqual({ value: 1, relation: 'eq' });

      expect(await rejection(unsigned.bulk({ body: [{ index: { _index: 'telemetry-a' } }, { device: 'd2' }] }))).toEqual({
        statusCode: 403,
        body: { Message: 'User: anonymous is not authorized to perform: es:ESHttpPost because no resource-based policy allows the es:ESHttpPost action' },
      });
      expect(opensearch.documents('telemetry-a')).toHaveLength(1);
      expect(opensearch.requests).toMatchObject({ signed: 2, unsigned: 1 });
    } finally {
      await Promise.all([signed.close(), unsigned.close()]);
    }
  });
});

describe('signature verification (requireSignedRequests with credentials)', () => {
  let opensearch: LocalOpenSearch;
  beforeAll(async () => {
    opensearch = await startOpenSearchEmulator({ refreshIntervalMs: -1, requireSignedRequests: { credentials: CREDENTIALS, region: REGION } });
  });
  afterAll(() => opensearch.stop());

  test('the client\'s signatures verify, across the APIs the pipeline uses', async () => {
    const signed = signedClient(opensearch.endpoint);
    try {
      await signed.indices.putIndexTemplate({ name: 'telemetry', body: { index_patterns: ['telemetry-*'], template: { mappings: { properties: { device: { type: 'keyword' } } } } } });
      await signed.bulk({ body: ndjson('{"index":{"_index":"telemetry-2024.01.15","_id":"a b/c"}}\n{"device":"d1"}\n') });
      await signed.indices.refresh({ index: 'telemetry-*' });
      const got = await signed.get({ index: 'telemetry-2024.01.15', id: 'a b/c' });
      expect(got.body._source).toEqual({ device: 'd1' });
      const counted = await signed.count({ index: 'telemetry-*', body: { query: { term: { device: 'd1' } } } });
      expect(counted.body.count).toBe(1);
    } finally {
      await signed.close();
    }
  });

  test('a wrong secret is refused', async () => {
    const wrong = signedClient(opensearch.endpoint, 'not-the-secret');
    try {
      const refused = await rejection(wrong.info());
      expect(refused.statusCode).toBe(403);
      expect(refused.body).toMatchObject({ message: expect.stringContaining('The request signature we calculated does not match') as unknown });
    } finally {
      await wrong.close();
    }
  });
});

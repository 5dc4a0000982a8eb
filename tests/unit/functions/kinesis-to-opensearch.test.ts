import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../../functions/kinesis-to-opensearch';
import { createAwsClients } from '../../../lib/aws/clients';
import { generateTelemetry } from '../../../lib/datasets/telemetry';
import type { IndexTemplateApi, OpenSearchBulkApi } from '../../../lib/sinks/opensearch';
import sampleEvent from '../../../events/kinesis-to-opensearch.json';
import { kinesisEvent, sequenceNumberOf } from '../../support/kinesis-events';
import { lambdaContext } from '../../support/lambda-context';

const s3 = mockClient(S3Client);
const env = { OPENSEARCH_ENDPOINT: 'https://search.example', OPENSEARCH_INDEX_PREFIX: 'telemetry', FAILURE_BUCKET: 'data', FAILURE_PREFIX: 'failed/kinesis-to-opensearch/', AWS_REGION: 'eu-west-1' };
const context = lambdaContext('shardline-test-kinesisToOpensearch');
const clients = () => createAwsClients({ region: 'eu-west-1', endpoints: {}, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const generated = [...generateTelemetry(4, { devices: 2 })];
const readings = generated.map((r) => JSON.stringify(r));
/** The document id of the first reading: `<device_id>_<epoch ms>`. */
const firstId = `${generated[0]!.device_id}_${Date.parse(generated[0]!.timestamp)}`;

type ItemStatus = (id: string, attempt: number) => { status: number; error?: { type: string; reason: string } };

/** A fake OpenSearch whose per-document answer is decided by `statusOf`; it records bulk bodies and template PUTs. */
function fakeOpenSearch(statusOf: ItemStatus = () => ({ status: 201 })) {
  const bodies: string[] = [];
  const templates: string[] = [];
  const attempts = new Map<string, number>();
  const api = {
    bulk: (params: { body: unknown }) => {
      const body = params.body as string;
      bodies.push(body);
      const lines = body.split('\n').filter(Boolean);
      const items = [];
      for (let i = 0; i < lines.length; i += 2) {
        const action = JSON.parse(lines[i]!) as { index: { _index: string; _id: string } };
        const attempt = (attempts.get(action.index._id) ?? 0) + 1;
        attempts.set(action.index._id, attempt);
        const { status, error } = statusOf(action.index._id, attempt);
        items.push({ index: { _index: action.index._index, _id: action.index._id, status, ...(error ? { error } : { result: 'created', _version: 1 }) } });
      }
      return Promise.resolve({ body: { took: 1, errors: items.some((it) => it.index.status >= 300), items }, statusCode: 200, headers: {}, meta: {} });
    },
    indices: {
      putIndexTemplate: (params: { name: string }) => {
        templates.push(params.name);
        return Promise.resolve({ body: { acknowledged: true }, statusCode: 200, headers: {}, meta: {} });
      },
    },
  };
  return { api: api as unknown as OpenSearchBulkApi & IndexTemplateApi, bodies, templates };
}

beforeEach(() => {
  s3.reset();
  s3.on(PutObjectCommand).resolves({});
});

describe('kinesis-to-opensearch handler', () => {
  it('installs the index template once and indexes readings with ids derived from them', async () => {
    const search = fakeOpenSearch();
    const handler = createHandler({ clients: clients(), env, openSearch: search.api });
    expect(await handler(kinesisEvent(readings.map((data) => ({ data }))), context)).toEqual({ batchItemFailures: [] });
    expect(await handler(sampleEvent, context)).toEqual({ batchItemFailures: [] });
    expect(search.templates).toEqual(['telemetry-template']);
    const first = search.bodies[0]!;
    expect(first.endsWith('\n')).toBe(true);
    const action = JSON.parse(first.split('\n')[0]!) as { index: { _index: string; _id: string } };
    expect(action.index._index).toMatch(/^telemetry-\d{4}\.\d\d\.\d\d$/);
    expect(action.index._id).toMatch(/^sensor-\d{4}_\d+$/);
  });

  it('retries throttled documents and sends mapping errors to S3 with their payload', async () => {
    const search = fakeOpenSearch((id, attempt) => {
      if (id.startsWith('sensor-0002') && attempt === 1) return { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } };
      if (id === firstId) return { status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [temperature_c]' } };
      return { status: 201 };
    });
    const handler = createHandler({ clients: clients(), env, openSearch: search.api });
    expect(await handler(kinesisEvent(readings.map((data) => ({ data }))), context)).toEqual({ batchItemFailures: [] });
    expect(search.bodies.length).toBeGreaterThanOrEqual(2);
    const puts = s3.commandCalls(PutObjectCommand).map((c) => JSON.parse(c.args[0].input.Body as string) as { reason: { kind: string; code: string }; dataText: string });
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({ reason: { kind: 'rejected', code: 'mapper_parsing_exception' }, dataText: readings[0] });
  });

  it('reports the first document still throttled after its attempts', async () => {
    const search = fakeOpenSearch((id) => (id.startsWith('sensor-0002') ? { status: 503, error: { type: 'unavailable_shards_exception', reason: 'busy' } } : { status: 201 }));
    const handler = createHandler({ clients: clients(), env, openSearch: search.api });
    const response = await handler(kinesisEvent(readings.map((data) => ({ data }))), context);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberOf(2) }] });
  });
});

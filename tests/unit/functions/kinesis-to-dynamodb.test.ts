import { BatchGetItemCommand, BatchWriteItemCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../../functions/kinesis-to-dynamodb';
import { createAwsClients } from '../../../lib/aws/clients';
import { generateTelemetry } from '../../../lib/datasets/telemetry';
import { aggregate } from '../../../lib/kinesis/aggregation';
import { MissingEnvironmentError } from '../../../lib/aws/function-environment';
import sample from '../../../events/kinesis-to-dynamodb.json';
import { kinesisEvent, sequenceNumberOf } from '../../support/kinesis-events';
import { lambdaContext } from '../../support/lambda-context';
import type { KinesisStreamEvent } from 'aws-lambda';

const sampleEvent: KinesisStreamEvent = sample;

const dynamodb = mockClient(DynamoDBClient);
const s3 = mockClient(S3Client);
const env = { READINGS_TABLE: 'readings', DEVICE_STATE_TABLE: 'state', MINUTE_AGGREGATES_TABLE: 'aggregates', FAILURE_BUCKET: 'data', FAILURE_PREFIX: 'failed/kinesis-to-dynamodb/' };
const context = lambdaContext('shardline-test-kinesisToDynamodb');
const clients = () => createAwsClients({ region: 'eu-west-1', endpoints: {}, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const readings = [...generateTelemetry(6, { devices: 3 })].map((r) => JSON.stringify(r));

beforeEach(() => {
  dynamodb.reset();
  s3.reset();
  dynamodb.on(BatchWriteItemCommand).resolves({ UnprocessedItems: {} });
  dynamodb.on(PutItemCommand).resolves({});
  dynamodb.on(BatchGetItemCommand).resolves({ Responses: {}, UnprocessedKeys: {} });
  dynamodb.on(UpdateItemCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
});

describe('kinesis-to-dynamodb handler', () => {
  it('handles the sample event of events/', async () => {
    const response = await createHandler({ clients: clients(), env })(sampleEvent, context);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(dynamodb.commandCalls(BatchWriteItemCommand).length).toBeGreaterThan(0);
  });

  it('writes plain and aggregated readings into the three tables', async () => {
    const event = kinesisEvent([{ data: readings[0]! }, { data: aggregate(readings.slice(1).map((r) => ({ partitionKey: 'k', data: Buffer.from(r) }))) }]);
    const response = await createHandler({ clients: clients(), env })(event, context);
    expect(response).toEqual({ batchItemFailures: [] });
    const written = dynamodb.commandCalls(BatchWriteItemCommand).flatMap((c) => c.args[0].input.RequestItems?.readings ?? []);
    expect(written).toHaveLength(6);
    // One state write per device, one aggregate update per device-minute.
    expect(dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input.TableName)).toEqual(['state', 'state', 'state']);
    expect(dynamodb.commandCalls(UpdateItemCommand).every((c) => c.args[0].input.TableName === 'aggregates')).toBe(true);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('sends a poison record to S3 with its payload and still succeeds', async () => {
    const bad = JSON.stringify({ ...JSON.parse(readings[1]!) as object, temperature_c: 400 });
    const response = await createHandler({ clients: clients(), env })(kinesisEvent([{ data: readings[0]! }, { data: bad }]), context);
    expect(response).toEqual({ batchItemFailures: [] });
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put.Bucket).toBe('data');
    expect(put.Key).toMatch(new RegExp(`^failed/kinesis-to-dynamodb/\\d{4}/\\d\\d/\\d\\d/shardId-000000000003/${sequenceNumberOf(2)}-0\\.json$`));
    expect(JSON.parse(put.Body as string)).toMatchObject({ reason: { kind: 'invalid', field: 'temperature_c' }, dataText: bad });
  });

  it('reports the first record still unprocessed after retries, so Lambda resumes there', async () => {
    // Every request leaves the readings of one device unprocessed.
    dynamodb.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, { PutRequest?: { Item?: Record<string, { S?: string }> } }[]> }) => {
      const stuck = input.RequestItems.readings!.filter((r) => r.PutRequest?.Item?.device_id?.S === 'sensor-0002');
      return Promise.resolve({ UnprocessedItems: stuck.length > 0 ? { readings: stuck } : {} });
    });
    const handler = createHandler({ clients: clients(), env });
    const response = await handler(kinesisEvent(readings.map((data) => ({ data }))), context);
    // sensor-0002's first reading is the batch's second record.
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberOf(2) }] });
  });

  it('names a missing table variable', async () => {
    const partial: Partial<typeof env> = { ...env };
    delete partial.READINGS_TABLE;
    await expect(createHandler({ clients: clients(), env: partial })(kinesisEvent([{ data: readings[0]! }]), context)).rejects.toThrow(MissingEnvironmentError);
  });
});

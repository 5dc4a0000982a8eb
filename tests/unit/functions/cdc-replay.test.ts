import type { DeleteItemCommandInput, PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../../functions/cdc-replay';
import { decodeDmsRecord, InvalidDeleteModeError } from '../../../lib/cdc/replay/lambda-settings';
import { createAwsClients } from '../../../lib/aws/clients';
import { MissingEnvironmentError } from '../../../lib/aws/function-environment';
import sample from '../../../events/cdc-replay.json';
import { kinesisEvent, sequenceNumberOf } from '../../support/kinesis-events';
import { lambdaContext } from '../../support/lambda-context';

const sampleEvent: KinesisStreamEvent = sample;
const dynamodb = mockClient(DynamoDBClient);
const s3 = mockClient(S3Client);
const env = { CDC_TARGET_TABLE_PREFIX: 'shardline-test-cdc-', FAILURE_BUCKET: 'data', FAILURE_PREFIX: 'failed/cdc-replay/' };
const context = lambdaContext('shardline-test-cdcReplay');
const clients = () => createAwsClients({ region: 'eu-west-1', endpoints: {}, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
/** The sample's DMS messages, as bytes. */
const messages = sampleEvent.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString('utf8'));
const puts = (): PutItemCommandInput[] => dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input);
const deletes = (): DeleteItemCommandInput[] => dynamodb.commandCalls(DeleteItemCommand).map((c) => c.args[0].input);

beforeEach(() => {
  dynamodb.reset();
  s3.reset();
  dynamodb.on(PutItemCommand).resolves({});
  dynamodb.on(DeleteItemCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
});

describe('cdc-replay handler', () => {
  it('applies the sample event of events/: loads, inserts, updates, a primary-key update and a delete', async () => {
    const response = await createHandler({ clients: clients(), env })(sampleEvent, context);
    expect(response).toEqual({ batchItemFailures: [] });
    // The customer's load, update and key change collapse per row: 1001 is deleted at the key change, 2001 put.
    expect(puts().map((p) => [p.TableName, Object.values(p.Item ?? {})[0]]).sort()).toEqual([
      ['shardline-test-cdc-shop-customers', { N: '2001' }],
      ['shardline-test-cdc-shop-orders', { S: '6f1c2d3e-4b5a-4978-8c6d-0e1f2a3b4c5d' }],
    ]);
    expect(deletes().map((d) => [d.TableName, d.Key]).sort()).toEqual([
      ['shardline-test-cdc-shop-customers', { customer_id: { N: '1001' } }],
      ['shardline-test-cdc-shop-order_lines', { order_id: { S: '6f1c2d3e-4b5a-4978-8c6d-0e1f2a3b4c5d' }, line_no: { N: '1' } }],
    ].sort());
    expect(puts().find((p) => p.Item?.customer_id?.N === '2001')?.Item).toMatchObject({ balance: { N: '1150.60' }, _cdc_position: { S: '00000000016B3800:0000000000' }, _cdc_operation: { S: 'update' } });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('writes tombstones with CDC_DELETES=tombstone', async () => {
    await createHandler({ clients: clients(), env: { ...env, CDC_DELETES: 'tombstone' } })(sampleEvent, context);
    expect(deletes()).toEqual([]);
    expect(puts().filter((p) => p.Item?._cdc_deleted?.BOOL === true)).toHaveLength(2);
  });

  it('honours CDC_TABLE_MAPPING', async () => {
    await createHandler({ clients: clients(), env: { ...env, CDC_TABLE_MAPPING: '{"shop.orders":"orders-v2"}' } })(sampleEvent, context);
    expect(puts().map((p) => p.TableName)).toContain('orders-v2');
  });

  it('sends a message that is not a DMS change to S3, with the field at fault, and still succeeds', async () => {
    const bad = messages[1]!.replace('"record-type":"data"', '"record-type":"row"');
    const response = await createHandler({ clients: clients(), env })(kinesisEvent([{ data: messages[0]! }, { data: bad }, { data: 'not json' }]), context);
    expect(response).toEqual({ batchItemFailures: [] });
    const objects = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(objects).toHaveLength(2);
    expect(objects[0]!.Key).toMatch(new RegExp(`^failed/cdc-replay/\\d{4}/\\d\\d/\\d\\d/shardId-000000000003/${sequenceNumberOf(2)}-0\\.json$`));
    expect(JSON.parse(objects[0]!.Body as string)).toMatchObject({ function: 'cdc-replay', reason: { kind: 'invalid', field: 'metadata.record-type' }, dataText: bad });
    expect(JSON.parse(objects[1]!.Body as string)).toMatchObject({ reason: { kind: 'invalid' }, dataText: 'not json' });
    expect(puts()).toHaveLength(1);
  });

  it('sends a change DynamoDB cannot store to S3 as rejected', async () => {
    const huge = messages[1]!.replace('"status":"placed"', `"status":"${'x'.repeat(410 * 1024)}"`);
    const response = await createHandler({ clients: clients(), env })(kinesisEvent([{ data: huge }]), context);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(JSON.parse(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body as string)).toMatchObject({ reason: { kind: 'rejected', code: 'ItemTooLarge' } });
  });

  it('reports the first change still throttled after the retries, so Lambda resumes there', async () => {
    dynamodb.on(PutItemCommand).callsFake((input: PutItemCommandInput) =>
      input.TableName?.endsWith('orders') ? Promise.reject(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException', $metadata: {} })) : Promise.resolve({}));
    const handler = createHandler({ clients: clients(), env });
    const response = await handler(kinesisEvent(messages.map((data) => ({ data }))), context);
    // The orders insert is the batch's second record.
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberOf(2) }] });
  }, 30_000);

  it('names a missing variable, and refuses an unknown delete mode', async () => {
    const partial: Partial<typeof env> = { ...env };
    delete partial.CDC_TARGET_TABLE_PREFIX;
    await expect(createHandler({ clients: clients(), env: partial })(sampleEvent, context)).rejects.toThrow(MissingEnvironmentError);
    await expect(createHandler({ clients: clients(), env: { ...env, CDC_DELETES: 'purge' } })(sampleEvent, context)).rejects.toThrow(InvalidDeleteModeError);
  });

  it('decodes with the DMS parser', () => {
    expect(decodeDmsRecord(Buffer.from(messages[0]!))).toMatchObject({ ok: true, value: { kind: 'row', operation: 'load', table: 'customers' } });
    expect(decodeDmsRecord(Buffer.from('{"metadata":{}}'))).toEqual({ ok: false, error: { field: 'metadata.record-type', reason: expect.any(String) as string } });
  });
});

/**
 * The local Firehose endpoint through the real AWS SDK client: the JSON 1.1 protocol, AWS's
 * limits for PutRecordBatch and its error shapes as the SDK surfaces them.
 */
import { DescribeDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand, PutRecordCommand } from '@aws-sdk/client-firehose';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { LocalFirehoseServer } from '../../../../lib/local/firehose/api-server';
import { startFirehoseServer } from '../../../../lib/local/firehose/api-server';
import { LocalDeliveryStream } from '../../../../lib/local/firehose/delivery-stream';

const s3Mock = mockClient(S3Client);
let server: LocalFirehoseServer;
let stream: LocalDeliveryStream;
let firehose: FirehoseClient;

beforeAll(async () => {
  stream = new LocalDeliveryStream({
    name: 'clicks', region: 'eu-west-1', accountId: '000000000000', bucket: 'b', compression: 'UNCOMPRESSED',
    buffering: { sizeMb: 64, intervalSeconds: 900 }, dynamicPartitioning: false, encrypted: true,
  }, new S3Client({ region: 'eu-west-1' }), () => Promise.reject(new Error('no processor')));
  server = await startFirehoseServer(new Map([['clicks', stream]]));
  firehose = new FirehoseClient({ region: 'eu-west-1', endpoint: server.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
});

afterAll(async () => {
  stream.stop();
  firehose.destroy();
  await server.close();
});

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
});

it('accepts PutRecordBatch and PutRecord, returning one record id per record', async () => {
  const batch = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'clicks', Records: [{ Data: Buffer.from('a') }, { Data: Buffer.from('b') }] }));
  expect(batch.FailedPutCount).toBe(0);
  expect(batch.Encrypted).toBe(true);
  expect(batch.RequestResponses).toHaveLength(2);
  expect(new Set(batch.RequestResponses!.map((r) => r.RecordId)).size).toBe(2);
  const single = await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'clicks', Record: { Data: Buffer.from('c') } }));
  expect(single.RecordId).toMatch(/^\d+$/);
  await stream.flush();
  const body = Buffer.from(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Body as Uint8Array).toString();
  expect(body).toBe('abc');
});

it('rejects more than 500 records with InvalidArgumentException', async () => {
  const records = Array.from({ length: 501 }, () => ({ Data: Buffer.from('x') }));
  await expect(firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'clicks', Records: records })))
    .rejects.toMatchObject({ name: 'InvalidArgumentException' });
});

it('rejects a record over 1,000 KiB and a call over 4 MiB', async () => {
  await expect(firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'clicks', Records: [{ Data: Buffer.alloc(1000 * 1024 + 1) }] })))
    .rejects.toMatchObject({ name: 'InvalidArgumentException' });
  const quarter = Array.from({ length: 5 }, () => ({ Data: Buffer.alloc(900 * 1024) }));
  await expect(firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'clicks', Records: quarter })))
    .rejects.toMatchObject({ name: 'InvalidArgumentException', message: expect.stringContaining('4194304') as unknown });
  await stream.flush();
  expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0); // nothing of a rejected call was taken
});

it('answers ResourceNotFoundException for an unknown stream, and describes a known one', async () => {
  await expect(firehose.send(new PutRecordCommand({ DeliveryStreamName: 'nope', Record: { Data: Buffer.from('x') } })))
    .rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  const described = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'clicks' }));
  expect(described.DeliveryStreamDescription?.DeliveryStreamARN).toBe('arn:aws:firehose:eu-west-1:000000000000:deliverystream/clicks');
});

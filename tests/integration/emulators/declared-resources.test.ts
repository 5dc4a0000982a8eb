/**
 * The fixture's resources created in the real emulators (DynamoDB Local included), then used with
 * real calls: each one must behave as its declaration says.
 */
import { DescribeTimeToLiveCommand, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { createDeclaredResources, type DeclaredResource, type DeclaredResources } from '../../../lib/local/service';
import { EMULATOR_START_TIMEOUT_MS, FIXTURE_MAX_RECEIVE_COUNT, fixtureService, useEmulators } from '../../support/emulators';

const emulators = useEmulators();
let created: DeclaredResources;

beforeAll(async () => {
  created = await createDeclaredResources(fixtureService(), emulators().clients);
}, EMULATOR_START_TIMEOUT_MS);

function resource(logicalId: string): DeclaredResource {
  const found = created.resources[logicalId];
  if (found === undefined) throw new Error(`${logicalId} was not created`);
  return found;
}

/** Receives one message and makes it visible again at once, as a consumer that fails would. */
async function receiveAndRelease(queueUrl: string): Promise<Message | undefined> {
  const sqs = emulators().clients.sqs();
  const { Messages: messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }));
  const message = messages?.[0];
  if (message?.ReceiptHandle !== undefined) {
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
  }
  return message;
}

async function receiveBodies(queueUrl: string): Promise<string[]> {
  const { Messages: messages } = await emulators().clients.sqs().send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
  return (messages ?? []).map((message) => message.Body ?? '');
}

test('every creatable resource is created, the KMS key is reported as skipped', () => {
  expect(Object.keys(created.resources).sort()).toEqual(['ArchiveBucket', 'EventsStream', 'ItemsTable', 'OrdersDeadLetterQueue', 'OrdersQueue', 'WorkDeadLetterQueue', 'WorkQueue']);
  expect(Object.values(created.resources).every((r) => r.status === 'created')).toBe(true);
  expect(created.skipped).toEqual([expect.objectContaining({ logicalId: 'DataKey', type: 'AWS::KMS::Key' })]);
});

describe('Kinesis stream', () => {
  test('has the declared shard count and retention, and serves PutRecord then GetRecords', async () => {
    const kinesis = emulators().clients.kinesis();
    const { name, arn } = resource('EventsStream');
    expect(arn).toBe('arn:aws:kinesis:eu-west-1:000000000000:stream/fixture-it-events');
    const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    expect(summary?.OpenShardCount).toBe(3);
    expect(summary?.RetentionPeriodHours).toBe(48);

    const put = await kinesis.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'user-1', Data: Buffer.from('{"event":"click"}') }));
    const { ShardIterator: iterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: name, ShardId: put.ShardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: put.SequenceNumber }),
    );
    const { Records: records } = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, StreamARN: arn }));
    expect(records?.map((record) => Buffer.from(record.Data!).toString())).toEqual(['{"event":"click"}']);
    const { Shards: shards } = await kinesis.send(new ListShardsCommand({ StreamName: name }));
    expect(shards?.map((shard) => shard.ShardId)).toContain(put.ShardId);
  });
});

describe('SQS queues', () => {
  test('the standard queue has its declared attributes and redrive policy (the DLQ’s ARN)', async () => {
    const { Attributes: attributes } = await emulators().clients.sqs().send(new GetQueueAttributesCommand({ QueueUrl: resource('WorkQueue').ref, AttributeNames: ['All'] }));
    expect(attributes?.VisibilityTimeout).toBe('30');
    expect(JSON.parse(attributes?.RedrivePolicy ?? '{}')).toEqual({ deadLetterTargetArn: resource('WorkDeadLetterQueue').arn, maxReceiveCount: FIXTURE_MAX_RECEIVE_COUNT });
  });

  test(`a message received ${FIXTURE_MAX_RECEIVE_COUNT} times and never deleted lands in the dead-letter queue`, async () => {
    const queueUrl = resource('WorkQueue').ref;
    await emulators().clients.sqs().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'poison' }));
    for (let receive = 1; receive <= FIXTURE_MAX_RECEIVE_COUNT; receive += 1) {
      const message = await receiveAndRelease(queueUrl);
      expect(message?.Body).toBe('poison');
    }
    // One receive too many: SQS moves it to the DLQ instead of delivering it again.
    expect(await receiveAndRelease(queueUrl)).toBeUndefined();
    expect(await receiveBodies(resource('WorkDeadLetterQueue').ref)).toEqual(['poison']);
  });

  test('the FIFO queue deduplicates by content and redrives to its FIFO dead-letter queue', async () => {
    const sqs = emulators().clients.sqs();
    const queueUrl = resource('OrdersQueue').ref;
    const { Attributes: attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
    expect(attributes).toMatchObject({ FifoQueue: 'true', ContentBasedDeduplication: 'true' });

    const first = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'order-1', MessageGroupId: 'customer-1' }));
    const duplicate = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'order-1', MessageGroupId: 'customer-1' }));
    expect(duplicate.MessageId).toBe(first.MessageId);

    for (let receive = 1; receive <= FIXTURE_MAX_RECEIVE_COUNT; receive += 1) {
      expect((await receiveAndRelease(queueUrl))?.Body).toBe('order-1');
    }
    expect(await receiveAndRelease(queueUrl)).toBeUndefined();
    expect(await receiveBodies(resource('OrdersDeadLetterQueue').ref)).toEqual(['order-1']);
  });
});

describe('DynamoDB table', () => {
  test('PutItem, GetItem and a Query on the GSI; TTL on and a stream ARN', async () => {
    const dynamodb = emulators().clients.dynamodb();
    const table = resource('ItemsTable');
    expect(table.attributes.StreamArn).toMatch(/^arn:aws:dynamodb:.*:table\/fixture-it-items\/stream\//);
    await dynamodb.send(new PutItemCommand({ TableName: table.name, Item: { pk: { S: 'a' }, sk: { S: '1' }, status: { S: 'open' } } }));
    await dynamodb.send(new PutItemCommand({ TableName: table.name, Item: { pk: { S: 'b' }, sk: { S: '2' }, status: { S: 'closed' } } }));
    await dynamodb.send(new PutItemCommand({ TableName: table.name, Item: { pk: { S: 'c' }, sk: { S: '3' }, status: { S: 'open' } } }));

    const { Item: item } = await dynamodb.send(new GetItemCommand({ TableName: table.name, Key: { pk: { S: 'b' }, sk: { S: '2' } } }));
    expect(item?.status).toEqual({ S: 'closed' });

    const { Items: open } = await dynamodb.send(
      new QueryCommand({
        TableName: table.name,
        IndexName: 'byStatus',
        KeyConditionExpression: '#status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': { S: 'open' } },
      }),
    );
    expect(open?.map((found) => found.pk?.S).sort()).toEqual(['a', 'c']);

    const { TimeToLiveDescription: ttl } = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: table.name }));
    expect(ttl).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });
});

describe('S3 bucket', () => {
  test('PutObject then GetObject', async () => {
    const s3 = emulators().clients.s3();
    const bucket = resource('ArchiveBucket').name;
    expect(bucket).toBe('fixture-it-archive-eu-west-1');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'raw/dt=2026-01-01/part-0.json', Body: '{"a":1}\n', ContentType: 'application/x-ndjson' }));
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'raw/dt=2026-01-01/part-0.json' }));
    expect(await object.Body?.transformToString()).toBe('{"a":1}\n');
  });
});

test('creating again is idempotent: everything exists, same names, ARNs and URLs', async () => {
  const again = await createDeclaredResources(fixtureService(), emulators().clients);
  expect(Object.values(again.resources).map((r) => r.status)).toEqual(Object.values(created.resources).map(() => 'existed'));
  for (const [logicalId, first] of Object.entries(created.resources)) {
    expect(again.resources[logicalId]).toMatchObject({ name: first.name, arn: first.arn, ref: first.ref });
  }
});

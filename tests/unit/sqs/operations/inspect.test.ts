import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { inspectQueue, parseRedrivePolicy, QueueNotFoundError, queueNameOf, resolveQueueUrl } from '../../../../lib/sqs/operations';
import { ACCOUNT, arnOf, queueAttributes, redrivePolicy, urlOf } from './fake-queues';

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(GetQueueUrlCommand, { QueueName: 'orders' }).resolves({ QueueUrl: urlOf('orders') });
  sqsMock.on(GetQueueUrlCommand, { QueueName: 'orders-dlq' }).resolves({ QueueUrl: urlOf('orders-dlq') });
  sqsMock.on(GetQueueAttributesCommand, { QueueUrl: urlOf('orders') }).resolves({ Attributes: queueAttributes('orders', { visible: 7, inFlight: 2, delayed: 1 }, redrivePolicy('orders-dlq', 5)) });
  sqsMock.on(GetQueueAttributesCommand, { QueueUrl: urlOf('orders-dlq') }).resolves({ Attributes: queueAttributes('orders-dlq', { visible: 3 }) });
  sqsMock.on(ListDeadLetterSourceQueuesCommand, { QueueUrl: urlOf('orders') }).resolves({ queueUrls: [] });
  sqsMock.on(ListDeadLetterSourceQueuesCommand, { QueueUrl: urlOf('orders-dlq') }).resolves({ queueUrls: [urlOf('orders')] });
});

describe('inspectQueue', () => {
  test('reads counts of the queue and of the DLQ its redrive policy names, and peeks nothing by default', async () => {
    const inspection = await inspectQueue(sqs, 'orders');
    expect(inspection.queue).toMatchObject({ name: 'orders', arn: arnOf('orders'), fifo: false, counts: { visible: 7, inFlight: 2, delayed: 1 }, redrivePolicy: { deadLetterTargetArn: arnOf('orders-dlq'), maxReceiveCount: 5 } });
    expect(inspection.deadLetterQueue).toMatchObject({ maxReceiveCount: 5, queue: { url: urlOf('orders-dlq'), counts: { visible: 3, inFlight: 0, delayed: 0 } } });
    expect(inspection.sample).toBeUndefined();
    expect(inspection.oldestSampledAgeSeconds).toBeUndefined();
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
    // The DLQ was found by its ARN, with the ARN's account as owner.
    expect(sqsMock.commandCalls(GetQueueUrlCommand).map((c) => c.args[0].input)).toContainEqual({ QueueName: 'orders-dlq', QueueOwnerAWSAccountId: ACCOUNT });
  });

  test('with a peek: samples both queues with VisibilityTimeout 0 and estimates the oldest age from SentTimestamp', async () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    sqsMock
      .on(ReceiveMessageCommand, { QueueUrl: urlOf('orders') })
      .resolvesOnce({
        Messages: [
          { MessageId: 'a', Body: 'x', Attributes: { SentTimestamp: String(now - 90_000), ApproximateReceiveCount: '2' } },
          { MessageId: 'b', Body: 'y', Attributes: { SentTimestamp: String(now - 30_000) } },
        ],
      })
      .resolves({ Messages: [{ MessageId: 'a', Body: 'x' }] });
    sqsMock.on(ReceiveMessageCommand, { QueueUrl: urlOf('orders-dlq') }).resolves({ Messages: [] });
    const inspection = await inspectQueue(sqs, urlOf('orders'), { peek: 5, now: () => now });
    expect(inspection.sample?.map((m) => [m.messageId, m.receiveCount])).toEqual([
      ['a', 2],
      ['b', undefined],
    ]);
    expect(inspection.oldestSampledAgeSeconds).toBe(90);
    for (const call of sqsMock.commandCalls(ReceiveMessageCommand)) expect(call.args[0].input.VisibilityTimeout).toBe(0);
    // Stopped once a receive brought nothing new.
    expect(sqsMock.commandCalls(ReceiveMessageCommand, { QueueUrl: urlOf('orders') })).toHaveLength(2);
  });

  test('a pointer message in the sample shows where its payload is (not read)', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({
      Messages: [
        {
          MessageId: 'p',
          Body: '["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b","s3Key":"k"}]',
          MessageAttributes: { ExtendedPayloadSize: { DataType: 'Number', StringValue: '2000000' } },
        },
      ],
    });
    const inspection = await inspectQueue(sqs, 'orders', { peek: 1 });
    expect(inspection.sample?.[0]?.payloadPointer).toEqual({ s3BucketName: 'b', s3Key: 'k' });
  });

  test('a DLQ lists the queues that feed it', async () => {
    const inspection = await inspectQueue(sqs, 'orders-dlq');
    expect(inspection.sourceQueues).toEqual({ urls: [urlOf('orders')], via: 'ListDeadLetterSourceQueues' });
    expect(inspection.deadLetterQueue).toBeUndefined();
  });

  test('an unknown queue: QueueNotFoundError', async () => {
    sqsMock.on(GetQueueUrlCommand, { QueueName: 'nope' }).rejects(Object.assign(new Error('The specified queue does not exist.'), { name: 'QueueDoesNotExist' }));
    await expect(inspectQueue(sqs, 'nope')).rejects.toBeInstanceOf(QueueNotFoundError);
  });
});

describe('queue references', () => {
  test('names come from URLs and ARNs; URLs are used as they are', async () => {
    expect(queueNameOf(urlOf('a.fifo'))).toBe('a.fifo');
    expect(queueNameOf(arnOf('b'))).toBe('b');
    expect(queueNameOf('c')).toBe('c');
    expect(await resolveQueueUrl(sqs, urlOf('x'))).toBe(urlOf('x'));
    expect(sqsMock.commandCalls(GetQueueUrlCommand)).toHaveLength(0);
  });

  test('redrive policies parse with maxReceiveCount as a string or a number', () => {
    expect(parseRedrivePolicy('{"deadLetterTargetArn":"arn:x","maxReceiveCount":"5"}')).toEqual({ deadLetterTargetArn: 'arn:x', maxReceiveCount: 5 });
    expect(parseRedrivePolicy('{"deadLetterTargetArn":"arn:x","maxReceiveCount":3}')).toEqual({ deadLetterTargetArn: 'arn:x', maxReceiveCount: 3 });
    expect(parseRedrivePolicy('not json')).toBeUndefined();
    expect(parseRedrivePolicy(undefined)).toBeUndefined();
  });
});

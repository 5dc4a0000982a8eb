import { createHash } from 'node:crypto';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type Message,
  type SendMessageBatchCommandInput,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AmbiguousSourceQueueError,
  NoSourceQueueError,
  redrive,
  RedriveQueueTypeMismatchError,
  type RedriveProgress,
} from '../../../../lib/sqs/operations';
import { arnOf, queueAttributes, redrivePolicy, urlOf } from './fake-queues';

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const noWait = { sleep: () => Promise.resolve() };
const sdkError = (name: string, fault: 'client' | 'server' = 'client'): Error => Object.assign(new Error(`${name} happened`), { name, $fault: fault });

/** A DLQ `orders-dlq` with `visible` messages, fed by `orders` (found through ListDeadLetterSourceQueues). */
function standardPair(visible: number): void {
  sqsMock.on(GetQueueUrlCommand, { QueueName: 'orders-dlq' }).resolves({ QueueUrl: urlOf('orders-dlq') });
  sqsMock.on(GetQueueAttributesCommand, { QueueUrl: urlOf('orders-dlq') }).resolves({ Attributes: queueAttributes('orders-dlq', { visible, inFlight: 1 }) });
  sqsMock.on(GetQueueAttributesCommand, { QueueUrl: urlOf('orders') }).resolves({ Attributes: queueAttributes('orders', {}, redrivePolicy('orders-dlq')) });
  sqsMock.on(ListDeadLetterSourceQueuesCommand).resolves({ queueUrls: [urlOf('orders')] });
}

const dlqMessage = (i: number, extra: Partial<Message> = {}): Message => ({
  MessageId: `mid-${i}`,
  ReceiptHandle: `rh-${i}`,
  Body: `{"order":${i}}`,
  MessageAttributes: { kind: { DataType: 'String', StringValue: 'order', StringListValues: [], BinaryListValues: [] } },
  Attributes: { SentTimestamp: '1767225600000', ApproximateReceiveCount: '6' },
  ...extra,
});

/** ReceiveMessage answers: the given batches, then empty. */
function receives(...batches: Message[][]): void {
  let chain = sqsMock.on(ReceiveMessageCommand);
  for (const batch of batches) chain = chain.resolvesOnce({ Messages: batch });
  chain.resolves({ Messages: [] });
}

const acceptAll = (input: SendMessageBatchCommandInput) => ({ Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id!, MessageId: `new-${e.Id!}`, MD5OfMessageBody: 'x' })), Failed: [] });
const sentBodies = (): string[] => sqsMock.commandCalls(SendMessageBatchCommand).flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => e.MessageBody!));
const deletedHandles = (): string[] => sqsMock.commandCalls(DeleteMessageBatchCommand).flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => e.ReceiptHandle!));

beforeEach(() => sqsMock.reset());

describe('redrive — dry run', () => {
  test('counts what would move and names the destination, without receiving, sending or deleting anything', async () => {
    standardPair(42);
    const report = await redrive(sqs, { deadLetterQueue: 'orders-dlq', dryRun: true });
    expect(report).toMatchObject({
      method: 'dry-run',
      wouldMove: 42,
      moved: 0,
      failed: [],
      destination: { url: urlOf('orders'), arn: arnOf('orders'), via: 'ListDeadLetterSourceQueues' },
      deadLetterQueue: { counts: { visible: 42, inFlight: 1, delayed: 0 } },
    });
    expect(report.sample).toBeUndefined();
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
  });

  test('caps the count with maxMessages, and samples only when asked (a peek with VisibilityTimeout 0)', async () => {
    standardPair(42);
    receives([dlqMessage(1), dlqMessage(2)]);
    const report = await redrive(sqs, { deadLetterQueue: 'orders-dlq', dryRun: true, maxMessages: 5, peek: 3 });
    expect(report.wouldMove).toBe(5);
    expect(report.sample?.map((m) => m.messageId)).toEqual(['mid-1', 'mid-2']);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]!.args[0].input).toMatchObject({ QueueUrl: urlOf('orders-dlq'), VisibilityTimeout: 0 });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });
});

describe('redrive — destination', () => {
  test('no source queue: NoSourceQueueError; several: AmbiguousSourceQueueError; --to overrides', async () => {
    standardPair(1);
    sqsMock.on(ListDeadLetterSourceQueuesCommand).resolves({ queueUrls: [] });
    await expect(redrive(sqs, { deadLetterQueue: 'orders-dlq', dryRun: true })).rejects.toBeInstanceOf(NoSourceQueueError);
    sqsMock.on(ListDeadLetterSourceQueuesCommand).resolves({ queueUrls: [urlOf('orders'), urlOf('payments')] });
    await expect(redrive(sqs, { deadLetterQueue: 'orders-dlq', dryRun: true })).rejects.toBeInstanceOf(AmbiguousSourceQueueError);
    const report = await redrive(sqs, { deadLetterQueue: 'orders-dlq', destination: urlOf('orders'), dryRun: true });
    expect(report.destination.via).toBe('option');
  });

  test('an endpoint without ListDeadLetterSourceQueues: found by reading every queue’s RedrivePolicy', async () => {
    standardPair(1);
    sqsMock.on(ListDeadLetterSourceQueuesCommand).rejects(sdkError('InvalidAction'));
    sqsMock.on(ListQueuesCommand).resolves({ QueueUrls: [urlOf('orders'), urlOf('orders-dlq'), urlOf('other')] });
    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: urlOf('other') }).resolves({ Attributes: redrivePolicy('other-dlq') });
    const report = await redrive(sqs, { deadLetterQueue: 'orders-dlq', dryRun: true });
    expect(report.destination).toMatchObject({ url: urlOf('orders'), via: 'redrive-policy-scan' });
  });

  test('a FIFO DLQ into a standard queue is refused', async () => {
    standardPair(1);
    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: urlOf('orders') }).resolves({ Attributes: queueAttributes('orders.fifo') });
    await expect(redrive(sqs, { deadLetterQueue: 'orders-dlq', dryRun: true })).rejects.toBeInstanceOf(RedriveQueueTypeMismatchError);
  });
});

describe('redrive — message move task', () => {
  test('without a bound, auto starts a move task DLQ → source and polls it to the end', async () => {
    standardPair(3);
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [{ TaskHandle: 'task-1', Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 3 }] })
      .resolves({ Results: [{ Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3 }] });
    const progress: RedriveProgress[] = [];
    const report = await redrive(sqs, { deadLetterQueue: 'orders-dlq', ...noWait, onProgress: (p) => progress.push(p) });
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)[0]!.args[0].input).toEqual({ SourceArn: arnOf('orders-dlq'), DestinationArn: arnOf('orders') });
    expect(report).toMatchObject({ method: 'message-move-task', moved: 3, failed: [], task: { status: 'COMPLETED' } });
    expect(progress.map((p) => p.moved)).toEqual([1, 3]);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  test('a failed task is reported with its reason', async () => {
    standardPair(3);
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-1' });
    sqsMock.on(ListMessageMoveTasksCommand).resolves({ Results: [{ Status: 'FAILED', FailureReason: 'AccessDenied', ApproximateNumberOfMessagesMoved: 1 }] });
    const report = await redrive(sqs, { deadLetterQueue: 'orders-dlq', ...noWait });
    expect(report).toMatchObject({ moved: 1, failed: [{ stage: 'task', code: 'FAILED', reason: 'AccessDenied' }] });
  });

  test('where move tasks are unsupported, auto falls back to receive → send → delete', async () => {
    standardPair(2);
    sqsMock.on(StartMessageMoveTaskCommand).rejects(sdkError('InvalidAction'));
    receives([dlqMessage(1), dlqMessage(2)]);
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }, { Id: '1' }], Failed: [] });
    const report = await redrive(sqs, { deadLetterQueue: 'orders-dlq', ...noWait });
    expect(report).toMatchObject({ method: 'receive-send-delete', moved: 2, failed: [] });
  });

  test('other errors of StartMessageMoveTask are not hidden by the fallback', async () => {
    standardPair(2);
    sqsMock.on(StartMessageMoveTaskCommand).rejects(sdkError('AccessDenied'));
    await expect(redrive(sqs, { deadLetterQueue: 'orders-dlq', ...noWait })).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});

describe('redrive — receive, send, delete', () => {
  test('sends the same body and attributes to the source queue, then deletes from the DLQ; stops at maxMessages', async () => {
    standardPair(30);
    receives([dlqMessage(1), dlqMessage(2), dlqMessage(3)], [dlqMessage(4)], [dlqMessage(5)]);
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Failed: [] });
    const report = await redrive(sqs, { deadLetterQueue: 'orders-dlq', maxMessages: 4, ...noWait });
    // maxMessages needs receive-send-delete: no move task.
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
    const receiveInputs = sqsMock.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input);
    expect(receiveInputs.map((i) => i.MaxNumberOfMessages)).toEqual([4, 1]);
    expect(receiveInputs[0]).toMatchObject({ QueueUrl: urlOf('orders-dlq'), VisibilityTimeout: 60, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)[0]!.args[0].input).toMatchObject({
      QueueUrl: urlOf('orders'),
      Entries: [{ MessageBody: '{"order":1}', MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' } } }, {}, {}],
    });
    expect(report).toMatchObject({ method: 'receive-send-delete', moved: 4, failed: [], duplicated: 0 });
    expect(deletedHandles()).toEqual(['rh-1', 'rh-2', 'rh-3', 'rh-4']);
    expect(sentBodies()).not.toContain('{"order":5}');
  });

  test('a message whose send fails stays in the DLQ (not deleted) and is reported', async () => {
    standardPair(2);
    receives([dlqMessage(1), dlqMessage(2)]);
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
      Successful: [{ Id: input.Entries![0]!.Id!, MessageId: 'n', MD5OfMessageBody: 'x' }],
      Failed: input.Entries!.slice(1).map((e) => ({ Id: e.Id!, Code: 'InvalidMessageContents', SenderFault: true, Message: 'bad' })),
    }));
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Failed: [] });
    const report = await redrive(sqs, { deadLetterQueue: 'orders-dlq', method: 'receive-send-delete', ...noWait });
    expect(deletedHandles()).toEqual(['rh-1']);
    expect(report).toMatchObject({ moved: 1, failed: [{ messageId: 'mid-2', stage: 'send', code: 'InvalidMessageContents' }] });
  });

  test('a message received again after its delete failed is deleted, not sent twice; once deleted it is no longer reported', async () => {
    standardPair(1);
    receives([dlqMessage(1)], [dlqMessage(1, { ReceiptHandle: 'rh-1-again' })]);
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    sqsMock
      .on(DeleteMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: '0', Code: 'ReceiptHandleIsInvalid', SenderFault: true, Message: 'gone' }] })
      .resolves({ Failed: [] });
    const report = await redrive(sqs, { deadLetterQueue: 'orders-dlq', method: 'receive-send-delete', ...noWait });
    expect(sentBodies()).toEqual(['{"order":1}']);
    expect(deletedHandles()).toEqual(['rh-1', 'rh-1-again']);
    expect(report).toMatchObject({ moved: 1, duplicated: 0, failed: [] });
  });

  test('a delete that keeps failing is reported: the message is in both queues', async () => {
    standardPair(1);
    receives([dlqMessage(1)]);
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    sqsMock.on(DeleteMessageBatchCommand).rejects(sdkError('InternalError', 'server'));
    const report = await redrive(sqs, { deadLetterQueue: 'orders-dlq', method: 'receive-send-delete', ...noWait });
    expect(report).toMatchObject({ moved: 1, duplicated: 1, failed: [{ messageId: 'mid-1', stage: 'delete', code: 'InternalError' }] });
  });

  test('FIFO: keeps the group id; deduplication id per redrive by default, the original one on request', async () => {
    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: urlOf('orders-dlq.fifo') }).resolves({ Attributes: queueAttributes('orders-dlq.fifo', { visible: 1 }) });
    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: urlOf('orders.fifo') }).resolves({ Attributes: queueAttributes('orders.fifo', {}, redrivePolicy('orders-dlq.fifo')) });
    sqsMock.on(ListDeadLetterSourceQueuesCommand).resolves({ queueUrls: [urlOf('orders.fifo')] });
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Failed: [] });
    const fifoMessage = dlqMessage(1, { Attributes: { MessageGroupId: 'customer-7', MessageDeduplicationId: 'orig-dedup', AWSTraceHeader: 'Root=1-x' } });

    receives([fifoMessage]);
    await redrive(sqs, { deadLetterQueue: urlOf('orders-dlq.fifo'), method: 'receive-send-delete', ...noWait });
    const first = sqsMock.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries![0]!;
    expect(first).toMatchObject({ MessageGroupId: 'customer-7', MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-x' } } });
    expect(first.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(first.MessageDeduplicationId).not.toBe(createHash('sha256').update('{"order":1}').digest('hex'));

    sqsMock.resetHistory();
    receives([fifoMessage]);
    await redrive(sqs, { deadLetterQueue: urlOf('orders-dlq.fifo'), method: 'receive-send-delete', fifoDeduplication: 'original', ...noWait });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries![0]!.MessageDeduplicationId).toBe('orig-dedup');
  });

  test('a destination that refuses everything ends the run after three fruitless receives', async () => {
    standardPair(100);
    let n = 0;
    sqsMock.on(ReceiveMessageCommand).callsFake(() => ({ Messages: [dlqMessage(++n)] }));
    sqsMock.on(SendMessageBatchCommand).rejects(sdkError('QueueDoesNotExist'));
    const report = await redrive(sqs, { deadLetterQueue: 'orders-dlq', method: 'receive-send-delete', ...noWait });
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(3);
    expect(report.moved).toBe(0);
    expect(report.failed.map((f) => f.code)).toEqual(['QueueDoesNotExist', 'QueueDoesNotExist', 'QueueDoesNotExist']);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });
});

/**
 * The SQS event source mapping where fauxqs cannot show it: the exact Lambda event, several
 * messages of one FIFO group in a batch (fauxqs hands out one per group at a time), a
 * DeleteMessageBatch that reports failures, the payload limit, stop() releasing what it holds,
 * and the settings' ranges. SQS is mocked; the function is a recording stub.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { DeleteMessageBatchCommandInput, Message } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { SqsMappingConfig } from '../../../../lib/local/esm/sqs-event-source';
import { MAX_INVOCATION_PAYLOAD_BYTES, SqsEventSource, SqsMappingConfigError, sqsRecordOf } from '../../../../lib/local/esm/sqs-event-source';

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:000000000000:function:consumer';
const STANDARD: SqsMappingConfig = {
  functionArn: FUNCTION_ARN,
  queueUrl: 'http://sqs.eu-west-1.localhost/000000000000/work',
  queueArn: 'arn:aws:sqs:eu-west-1:000000000000:work',
};
const FIFO: SqsMappingConfig = {
  functionArn: FUNCTION_ARN,
  queueUrl: 'http://sqs.eu-west-1.localhost/000000000000/orders.fifo',
  queueArn: 'arn:aws:sqs:eu-west-1:000000000000:orders.fifo',
};

const message = (id: string, more: Partial<Message> = {}): Message => ({
  MessageId: id, ReceiptHandle: `rh-${id}`, Body: `body-${id}`, MD5OfBody: `md5-${id}`,
  Attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1700000000000', SenderId: 'AIDA', ApproximateFirstReceiveTimestamp: '1700000000001' },
  ...more,
});

const EMPTY_QUEUE = { Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' } };

/** The receipt handles of every DeleteMessageBatch call, per call. */
const deletedPerCall = (): string[][] =>
  sqsMock.commandCalls(DeleteMessageBatchCommand).map((call) => call.args[0].input.Entries!.map((e) => e.ReceiptHandle!));

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(GetQueueAttributesCommand).resolves(EMPTY_QUEUE);
  sqsMock.on(DeleteMessageBatchCommand).callsFake((input: DeleteMessageBatchCommandInput) => ({ Successful: input.Entries!.map((e) => ({ Id: e.Id })), Failed: [] }));
});

describe('sqsRecordOf', () => {
  it('builds the record Lambda sends for a standard queue, keys in AWS\'s order', () => {
    const record = sqsRecordOf(message('m1', {
      MD5OfMessageAttributes: 'md5-attrs',
      MessageAttributes: {
        s: { DataType: 'String', StringValue: 'text' },
        n: { DataType: 'Number', StringValue: '42' },
        b: { DataType: 'Binary', BinaryValue: Buffer.from('hi') },
      },
    }), STANDARD.queueArn, 'eu-west-1');
    expect(record).toEqual({
      messageId: 'm1', receiptHandle: 'rh-m1', body: 'body-m1',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1700000000000', SenderId: 'AIDA', ApproximateFirstReceiveTimestamp: '1700000000001' },
      messageAttributes: {
        s: { stringValue: 'text', stringListValues: [], binaryListValues: [], dataType: 'String' },
        n: { stringValue: '42', stringListValues: [], binaryListValues: [], dataType: 'Number' },
        b: { binaryValue: Buffer.from('hi').toString('base64'), stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
      md5OfMessageAttributes: 'md5-attrs',
      md5OfBody: 'md5-m1', eventSource: 'aws:sqs', eventSourceARN: STANDARD.queueArn, awsRegion: 'eu-west-1',
    });
    expect(Object.keys(record)).toEqual(['messageId', 'receiptHandle', 'body', 'attributes', 'messageAttributes', 'md5OfMessageAttributes', 'md5OfBody', 'eventSource', 'eventSourceARN', 'awsRegion']);
    expect(Object.keys(record.attributes)).toEqual(['ApproximateReceiveCount', 'SentTimestamp', 'SenderId', 'ApproximateFirstReceiveTimestamp']);
  });

  it('adds the FIFO attributes in AWS\'s order, and no md5OfMessageAttributes without attributes', () => {
    const record = sqsRecordOf(message('m1', {
      Attributes: {
        SenderId: 'AIDA', SentTimestamp: '1', ApproximateReceiveCount: '2', ApproximateFirstReceiveTimestamp: '3',
        MessageGroupId: 'g', MessageDeduplicationId: 'd', SequenceNumber: '18849496460467696128',
      },
    }), FIFO.queueArn, 'eu-west-1');
    expect(Object.keys(record.attributes)).toEqual(['ApproximateReceiveCount', 'SentTimestamp', 'SequenceNumber', 'MessageGroupId', 'SenderId', 'MessageDeduplicationId', 'ApproximateFirstReceiveTimestamp']);
    expect(record.messageAttributes).toEqual({});
    expect(record).not.toHaveProperty('md5OfMessageAttributes');
  });
});

describe('SqsEventSource', () => {
  it('receives with every attribute, at most 10 a call, then stops once the queue is empty', async () => {
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('m1'), message('m2')] }).resolves({});
    const events: SQSEvent[] = [];
    const source = new SqsEventSource({ ...STANDARD, batchSize: 5 }, sqs, (_arn, event) => {
      events.push(event);
      return Promise.resolve(null);
    });
    await expect(source.drain()).resolves.toMatchObject({ drained: true });
    expect(events.map((e) => e.Records.map((r) => r.messageId))).toEqual([['m1', 'm2']]);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]!.args[0].input).toMatchObject({
      QueueUrl: STANDARD.queueUrl, MaxNumberOfMessages: 5, AttributeNames: ['All'], MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'],
    });
    expect(deletedPerCall()).toEqual([['rh-m1', 'rh-m2']]);
    expect(source.stats).toEqual({ invocations: 1, failedInvocations: 0, messagesDeleted: 2, messagesFailed: 0, deleteFailures: 0 });
  });

  it('gathers a batch bigger than 10 over several receives and deletes it by tens', async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `m${i}`);
    sqsMock.on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: ids.slice(0, 10).map((id) => message(id)) })
      .resolvesOnce({ Messages: ids.slice(10, 20).map((id) => message(id)) })
      .resolvesOnce({ Messages: ids.slice(20).map((id) => message(id)) })
      .resolves({});
    const sizes: number[] = [];
    const source = new SqsEventSource({ ...STANDARD, batchSize: 25, maximumBatchingWindowInSeconds: 5 }, sqs, (_arn, event) => {
      sizes.push(event.Records.length);
      return Promise.resolve(undefined);
    });
    await source.drain();
    expect(sizes).toEqual([25]);
    expect(sqsMock.commandCalls(ReceiveMessageCommand).slice(0, 3).map((c) => c.args[0].input.MaxNumberOfMessages)).toEqual([10, 10, 5]);
    expect(deletedPerCall().map((entries) => entries.length)).toEqual([10, 10, 5]);
    expect(source.stats.messagesDeleted).toBe(25);
  });

  it('keeps a message received twice within the window once, with its newest receipt handle', async () => {
    sqsMock.on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('m1'), message('m2')] })
      .resolvesOnce({ Messages: [message('m1', { ReceiptHandle: 'rh-m1-again' }), message('m3')] })
      .resolves({});
    const batches: string[][] = [];
    const source = new SqsEventSource({ ...STANDARD, batchSize: 20, maximumBatchingWindowInSeconds: 1 }, sqs, (_arn, event) => {
      batches.push(event.Records.map((r) => `${r.messageId}:${r.receiptHandle}`));
      return Promise.resolve(null);
    });
    await source.drain({ pollMs: 50 });
    expect(batches).toEqual([['m1:rh-m1-again', 'm2:rh-m2', 'm3:rh-m3']]);
    expect(deletedPerCall()).toEqual([['rh-m1-again', 'rh-m2', 'rh-m3']]);
  });

  it('deletes nothing when the function throws', async () => {
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('m1'), message('m2')] }).resolves({});
    const source = new SqsEventSource(STANDARD, sqs, () => Promise.reject(new Error('boom')));
    await source.drain();
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(source.stats).toMatchObject({ invocations: 1, failedInvocations: 1, messagesDeleted: 0, messagesFailed: 2 });
  });

  it('FIFO: does not delete a later message of a group whose earlier message failed, even if the function does not report it', async () => {
    const group = (id: string, g: string): Message => message(id, { Attributes: { ...message(id).Attributes, MessageGroupId: g, SequenceNumber: id } });
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [group('a1', 'A'), group('a2', 'A'), group('b1', 'B'), group('a3', 'A'), group('b2', 'B')] }).resolves({});
    const source = new SqsEventSource({ ...FIFO, reportBatchItemFailures: true }, sqs, () => Promise.resolve({ batchItemFailures: [{ itemIdentifier: 'a2' }] }));
    await source.drain();
    expect(deletedPerCall()).toEqual([['rh-a1', 'rh-b1', 'rh-b2']]);
    expect(source.stats).toMatchObject({ failedInvocations: 0, messagesDeleted: 3, messagesFailed: 2 });
  });

  it('counts the entries DeleteMessageBatch reports failed', async () => {
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('m1'), message('m2'), message('m3')] }).resolves({});
    sqsMock.on(DeleteMessageBatchCommand).resolves({
      Successful: [{ Id: '0' }, { Id: '2' }],
      Failed: [{ Id: '1', SenderFault: true, Code: 'ReceiptHandleIsInvalid' }],
    });
    const source = new SqsEventSource(STANDARD, sqs, () => Promise.resolve(null));
    await source.drain();
    expect(source.stats).toMatchObject({ messagesDeleted: 2, deleteFailures: 1, messagesFailed: 0 });
  });

  it('cuts batches at the 6 MB payload limit and invokes the rest next', async () => {
    const big = 'x'.repeat(Math.floor(MAX_INVOCATION_PAYLOAD_BYTES / 2.5));
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: ['m1', 'm2', 'm3'].map((id) => message(id, { Body: big })) }).resolves({});
    const batches: string[][] = [];
    const source = new SqsEventSource(STANDARD, sqs, (_arn, event) => {
      batches.push(event.Records.map((r) => r.messageId));
      expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThanOrEqual(MAX_INVOCATION_PAYLOAD_BYTES);
      return Promise.resolve(null);
    });
    await source.drain();
    expect(batches).toEqual([['m1', 'm2'], ['m3']]);
    expect(source.stats.messagesDeleted).toBe(3);
  });

  it('drain gives up after maxDurationMs while messages stay in flight', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({});
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1', ApproximateNumberOfMessagesDelayed: '0' } });
    const source = new SqsEventSource(STANDARD, sqs, () => Promise.resolve(null));
    const result = await source.drain({ maxDurationMs: 300, pollMs: 20 });
    expect(result.drained).toBe(false);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(300);
    expect(result.elapsedMs).toBeLessThan(2000);
  });

  it('stop() ends run() and makes the messages it gathered but did not invoke visible again', async () => {
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('m1')] }).resolves({});
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [] });
    const invoke = jest.fn(() => Promise.resolve(null));
    // A long window: the batch is still being gathered when stop() comes.
    const source = new SqsEventSource({ ...STANDARD, maximumBatchingWindowInSeconds: 60 }, sqs, invoke);
    const running = source.run(20);
    await new Promise((resolve) => setTimeout(resolve, 100));
    source.stop();
    await running;
    expect(invoke).not.toHaveBeenCalled();
    const released = sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand).map((c) => c.args[0].input.Entries);
    expect(released).toEqual([[{ Id: '0', ReceiptHandle: 'rh-m1', VisibilityTimeout: 0 }]]);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });

  it('runs up to maximumConcurrency batches at once, and one at a time without it', async () => {
    const inFlightPeak = async (maximumConcurrency: number | undefined): Promise<number> => {
      sqsMock.on(ReceiveMessageCommand).callsFake((input: { MaxNumberOfMessages: number }) => {
        // An endless queue: every receive gets a full batch.
        return { Messages: Array.from({ length: input.MaxNumberOfMessages }, () => message(`m${Math.random()}`)) };
      });
      let inFlight = 0;
      let peak = 0;
      const source = new SqsEventSource({ ...STANDARD, batchSize: 2, ...(maximumConcurrency ? { maximumConcurrency } : {}) }, sqs, async () => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 30));
        inFlight--;
        return null;
      });
      const running = source.run(10);
      await new Promise((resolve) => setTimeout(resolve, 300));
      source.stop();
      await running;
      return peak;
    };
    expect(await inFlightPeak(undefined)).toBe(1);
    expect(await inFlightPeak(4)).toBe(4);
  });

  it.each<[Partial<SqsMappingConfig>, keyof SqsMappingConfig]>([
    [{ batchSize: 0 }, 'batchSize'],
    [{ batchSize: 10_001, maximumBatchingWindowInSeconds: 1 }, 'batchSize'],
    [{ batchSize: 11 }, 'maximumBatchingWindowInSeconds'],
    [{ batchSize: 1.5 }, 'batchSize'],
    [{ maximumBatchingWindowInSeconds: 301 }, 'maximumBatchingWindowInSeconds'],
    [{ maximumConcurrency: 1 }, 'maximumConcurrency'],
    [{ maximumConcurrency: 1001 }, 'maximumConcurrency'],
  ])('rejects %p on a standard queue', (settings, setting) => {
    let error: unknown;
    try {
      new SqsEventSource({ ...STANDARD, ...settings }, sqs, () => Promise.resolve(null));
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(SqsMappingConfigError);
    expect(error).toMatchObject({ name: 'SqsMappingConfigError', setting });
  });

  it('takes a batch above 10 with a window on a standard queue, not on a FIFO one', () => {
    expect(() => new SqsEventSource({ ...STANDARD, batchSize: 10_000, maximumBatchingWindowInSeconds: 1 }, sqs, () => Promise.resolve(null))).not.toThrow();
    expect(() => new SqsEventSource({ ...FIFO, batchSize: 11, maximumBatchingWindowInSeconds: 1 }, sqs, () => Promise.resolve(null))).toThrow(SqsMappingConfigError);
  });
});

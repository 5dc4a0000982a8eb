import { createHash } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
  type BatchResultErrorEntry,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { POINTER_CLASS } from '../../../../lib/sqs/extended-payload';
import { messageSizeBytes, SendFailureCode, SqsSender, type OutgoingMessage, type SqsSenderOptions } from '../../../../lib/sqs/sender';

const sqsMock = mockClient(SQSClient);
const s3Mock = mockClient(S3Client);
const sqs = new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const STANDARD = 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders';
const FIFO = 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo';

const noWait = { sleep: () => Promise.resolve() };
const sender = (options: Partial<SqsSenderOptions> = {}): SqsSender => new SqsSender({ client: sqs, queueUrl: STANDARD, ...noWait, ...options });
const bodies = (n: number, prefix = 'm'): OutgoingMessage[] => Array.from({ length: n }, (_, i) => ({ body: `${prefix}${i}` }));
const sentInputs = (): SendMessageBatchCommandInput[] => sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
const entryBodies = (input: SendMessageBatchCommandInput): string[] => (input.Entries ?? []).map((e) => e.MessageBody!);

/** Accepts every entry, except those `fail` returns a failure for. */
function answer(fail: (entry: SendMessageBatchRequestEntry) => Omit<BatchResultErrorEntry, 'Id'> | undefined = () => undefined) {
  return (input: SendMessageBatchCommandInput): SendMessageBatchCommandOutput => {
    const Successful = [];
    const Failed: BatchResultErrorEntry[] = [];
    for (const entry of input.Entries ?? []) {
      const failure = fail(entry);
      if (failure) Failed.push({ Id: entry.Id!, ...failure });
      else Successful.push({ Id: entry.Id!, MessageId: `id-${entry.MessageBody!.slice(0, 20)}`, MD5OfMessageBody: 'x' });
    }
    return { Successful, Failed, $metadata: {} };
  };
}

beforeEach(() => {
  sqsMock.reset();
  s3Mock.reset();
});

describe('SqsSender — batching', () => {
  test('splits by count: at most 10 entries per SendMessageBatch, in input order, ids unique per batch', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake(answer());
    const report = await sender({ maxConcurrentRequests: 1 }).send(bodies(25));
    expect(sentInputs().map((i) => i.Entries!.length)).toEqual([10, 10, 5]);
    expect(sentInputs().flatMap(entryBodies)).toEqual(bodies(25).map((m) => m.body));
    for (const input of sentInputs()) {
      const ids = input.Entries!.map((e) => e.Id!);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
      expect(input.QueueUrl).toBe(STANDARD);
    }
    expect(report).toMatchObject({ messages: 25, failed: [], requests: 3, retriedEntries: 0, offloaded: 0 });
    expect(report.sent.map((s) => s.index)).toEqual([...Array(25).keys()]);
    expect(report.sent[3]!.messageId).toBe('id-m3');
  });

  test('splits by bytes: a batch never exceeds 1 MiB summed over body + attributes as SQS counts them', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake(answer());
    // Each body is 300,000 bytes; the attribute adds 1 + 6 + 50,000: three bodies alone would fit
    // (900,000 bytes) but three messages do not (1,050,021 > 1,048,576).
    const attributes = { a: { DataType: 'String', StringValue: 'v'.repeat(50_000) } };
    const messages = Array.from({ length: 5 }, (_, i) => ({ body: String(i).repeat(300_000), attributes }));
    expect(messageSizeBytes(messages[0]!.body, attributes)).toBe(350_007);
    await sender({ maxConcurrentRequests: 1 }).send(messages);
    expect(sentInputs().map((i) => i.Entries!.length)).toEqual([2, 2, 1]);
    for (const input of sentInputs()) {
      const total = input.Entries!.reduce((sum, e) => sum + messageSizeBytes(e.MessageBody!, e.MessageAttributes), 0);
      expect(total).toBeLessThanOrEqual(1_048_576);
    }
  });

  test('the batch byte limit and entry count are configurable', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake(answer());
    await sender({ maxBatchBytes: 10, maxBatchEntries: 3, maxConcurrentRequests: 1 }).send(bodies(7, 'abcd')); // 5 bytes each
    expect(sentInputs().map((i) => i.Entries!.length)).toEqual([2, 2, 2, 1]);
    expect(() => sender({ maxBatchEntries: 11 })).toThrow(RangeError);
  });

  test('messages over the queue’s limit are refused before any request (never silently dropped)', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake(answer());
    const report = await sender({ maxMessageBytes: 1024 }).send([{ body: 'ok' }, { body: 'x'.repeat(1025) }, { body: '' }, { body: 'fine' }]);
    expect(sentInputs().flatMap(entryBodies)).toEqual(['ok', 'fine']);
    expect(report.failed.map((f) => [f.index, f.code, f.senderFault, f.attempts])).toEqual([
      [1, SendFailureCode.MessageTooLong, true, 0],
      [2, SendFailureCode.EmptyBody, true, 0],
    ]);
    expect(report.sent.map((s) => s.index)).toEqual([0, 3]);
  });

  test('maps attributes, delay and the trace header onto the entry (system attribute, not counted in the size)', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake(answer());
    await sender().send([{ body: 'b', attributes: { k: { DataType: 'String', StringValue: 'v' } }, delaySeconds: 5, traceHeader: 'Root=1-abc' }]);
    expect(sentInputs()[0]!.Entries![0]).toEqual({
      Id: '0',
      MessageBody: 'b',
      MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
      DelaySeconds: 5,
      MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-abc' } },
    });
  });
});

describe('SqsSender — partial failures', () => {
  test('resends only the entries that failed with a server fault, with the same ids', async () => {
    let call = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      call++;
      return answer((e) => (call === 1 && ['m1', 'm3'].includes(e.MessageBody!) ? { Code: 'InternalError', SenderFault: false, Message: 'try again' } : undefined))(input);
    });
    const report = await sender().send(bodies(5));
    expect(sentInputs().map(entryBodies)).toEqual([['m0', 'm1', 'm2', 'm3', 'm4'], ['m1', 'm3']]);
    expect(sentInputs()[1]!.Entries!.map((e) => e.Id)).toEqual(['1', '3']);
    expect(report).toMatchObject({ failed: [], requests: 2, retriedEntries: 2 });
    expect(report.sent).toHaveLength(5);
  });

  test('sender faults are reported and not retried; server faults are retried up to maxAttempts, then reported', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake(
      answer((e) => {
        if (e.MessageBody === 'm1') return { Code: 'InvalidMessageContents', SenderFault: true, Message: 'bad characters' };
        if (e.MessageBody === 'm2') return { Code: 'InternalError', SenderFault: false, Message: 'still broken' };
        return undefined;
      }),
    );
    const report = await sender({ maxAttempts: 3 }).send(bodies(3));
    expect(sentInputs().map(entryBodies)).toEqual([['m0', 'm1', 'm2'], ['m2'], ['m2']]);
    expect(report.failed).toEqual([
      { index: 1, message: { body: 'm1' }, code: 'InvalidMessageContents', reason: 'bad characters', senderFault: true, attempts: 1 },
      { index: 2, message: { body: 'm2' }, code: 'InternalError', reason: 'still broken', senderFault: false, attempts: 3 },
    ]);
    expect(report.sent.map((s) => s.index)).toEqual([0]);
  });

  test('an entry the response does not mention is retried, not assumed sent', async () => {
    let call = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      call++;
      const out = answer()(input);
      return call === 1 ? { ...out, Successful: out.Successful!.slice(0, 1) } : out;
    });
    const report = await sender().send(bodies(2));
    expect(sentInputs().map(entryBodies)).toEqual([['m0', 'm1'], ['m1']]);
    expect(report.sent).toHaveLength(2);
  });

  test('a whole request refused as the caller’s fault is reported for each entry without retrying', async () => {
    sqsMock.on(SendMessageBatchCommand).rejects(Object.assign(new Error('The specified queue does not exist.'), { name: 'QueueDoesNotExist', $fault: 'client' }));
    const report = await sender({ maxAttempts: 5 }).send(bodies(2));
    expect(sentInputs()).toHaveLength(1);
    expect(report.failed.map((f) => [f.code, f.senderFault, f.attempts])).toEqual([
      ['QueueDoesNotExist', true, 1],
      ['QueueDoesNotExist', true, 1],
    ]);
  });

  test('a throttled or failed whole request is retried (all its entries)', async () => {
    sqsMock
      .on(SendMessageBatchCommand)
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'RequestThrottled', $fault: 'client' }))
      .rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'Error' }))
      .callsFake(answer());
    const report = await sender().send(bodies(2));
    expect(sentInputs()).toHaveLength(3);
    expect(report).toMatchObject({ failed: [], requests: 3, retriedEntries: 4 });
  });

  test('reports progress after each batch', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake(answer());
    const progress: number[] = [];
    await sender({ maxConcurrentRequests: 1, onProgress: (p) => progress.push(p.sent) }).send(bodies(21));
    expect(progress).toEqual([10, 20, 21]);
  });
});

describe('SqsSender — FIFO', () => {
  const fifoSender = (options: Partial<SqsSenderOptions> = {}): SqsSender => sender({ queueUrl: FIFO, ...options });
  const grouped = (spec: string): OutgoingMessage[] => spec.split(' ').map((body) => ({ body, groupId: body[0]!, deduplicationId: `d-${body}` }));

  /** Records the order SQS accepted messages in, per group; fails the entries `failing` names on their first attempt(s). */
  function fifoQueue(failing: Record<string, { times: number; senderFault?: boolean }>) {
    const accepted: string[] = [];
    const attempts = new Map<string, number>();
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) =>
      answer((e) => {
        const body = e.MessageBody!;
        const n = (attempts.get(body) ?? 0) + 1;
        attempts.set(body, n);
        const rule = failing[body];
        if (rule && n <= rule.times) return { Code: rule.senderFault ? 'InvalidParameterValue' : 'InternalError', SenderFault: rule.senderFault ?? false, Message: 'no' };
        accepted.push(body);
        return undefined;
      })(input),
    );
    const perGroup = (group: string): string[] => accepted.filter((b) => b.startsWith(group));
    return { accepted, perGroup };
  }

  test('sends MessageGroupId and MessageDeduplicationId; fifo is detected from the .fifo suffix', async () => {
    fifoQueue({});
    const s = fifoSender();
    expect(s.fifo).toBe(true);
    await s.send([{ body: 'a1', groupId: 'a', deduplicationId: 'dedup-1' }]);
    expect(sentInputs()[0]!.Entries![0]).toMatchObject({ MessageGroupId: 'a', MessageDeduplicationId: 'dedup-1' });
  });

  test('a message without MessageGroupId (or with a delay) is refused, and holds back the rest of its group', async () => {
    fifoQueue({});
    const report = await fifoSender().send([
      { body: 'a1', groupId: 'a' },
      { body: 'x' },
      { body: 'b1', groupId: 'b', delaySeconds: 3 },
      { body: 'b2', groupId: 'b' },
      { body: 'a2', groupId: 'a' },
    ]);
    expect(report.failed.map((f) => [f.index, f.code])).toEqual([
      [1, SendFailureCode.MissingGroupId],
      [2, SendFailureCode.DelayOnFifo],
      [3, SendFailureCode.PrecedingMessageFailed],
    ]);
    expect(report.sent.map((s) => s.index)).toEqual([0, 4]);
  });

  test('strict order: a failed entry is resent before any later message of its group; other groups go on', async () => {
    const queue = fifoQueue({ a1: { times: 2 }, b2: { times: 1 } });
    const report = await fifoSender({ maxConcurrentRequests: 3 }).send(grouped('a1 a2 a3 b1 b2 b3 c1 c2'));
    expect(report.failed).toEqual([]);
    expect(queue.perGroup('a')).toEqual(['a1', 'a2', 'a3']);
    expect(queue.perGroup('b')).toEqual(['b1', 'b2', 'b3']);
    expect(queue.perGroup('c')).toEqual(['c1', 'c2']);
    // No request carried two messages of one group, and a2 never travelled before a1 was accepted.
    for (const input of sentInputs()) {
      const groups = input.Entries!.map((e) => e.MessageGroupId);
      expect(new Set(groups).size).toBe(groups.length);
    }
    expect(report.outOfOrderGroups).toEqual([]);
  });

  test('a group stops at a message that fails for good: the rest is reported, not sent out of order', async () => {
    const queue = fifoQueue({ a2: { times: 1, senderFault: true }, b1: { times: 99 } });
    const report = await fifoSender({ maxAttempts: 2 }).send(grouped('a1 a2 a3 a4 b1 b2 c1'));
    expect(queue.accepted.sort()).toEqual(['a1', 'c1']);
    expect(report.failed.map((f) => [f.message.body, f.code, f.senderFault])).toEqual([
      ['a2', 'InvalidParameterValue', true],
      ['a3', SendFailureCode.PrecedingMessageFailed, false],
      ['a4', SendFailureCode.PrecedingMessageFailed, false],
      ['b1', 'InternalError', false],
      ['b2', SendFailureCode.PrecedingMessageFailed, false],
    ]);
    expect(sentInputs().flatMap(entryBodies)).not.toContain('a3');
    expect(report.sent.length + report.failed.length).toBe(7);
  });

  test('grouped ordering sends a group’s messages together, and reports a group a partial failure put out of order', async () => {
    const queue = fifoQueue({ a1: { times: 1 } });
    const report = await fifoSender({ fifoOrdering: 'grouped' }).send(grouped('a1 a2 a3 b1 b2'));
    expect(sentInputs()[0]!.Entries!.map((e) => e.MessageBody)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2']);
    expect(queue.perGroup('a')).toEqual(['a2', 'a3', 'a1']);
    expect(report.outOfOrderGroups).toEqual(['a']);
    expect(report.failed).toEqual([]);
  });

  test('grouped ordering without failures keeps every group in order in fewer requests', async () => {
    const queue = fifoQueue({});
    const report = await fifoSender({ fifoOrdering: 'grouped' }).send(grouped('a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12'));
    expect(report.requests).toBe(2);
    expect(queue.perGroup('a')).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8', 'a9', 'a10', 'a11', 'a12']);
    expect(report.outOfOrderGroups).toEqual([]);
  });
});

describe('SqsSender — payload offloading', () => {
  test('offloads only bodies over the queue’s limit, as Extended Client pointers; the report keeps the pointer', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake(answer());
    s3Mock.on(PutObjectCommand).resolves({});
    const big = 'b'.repeat(2000);
    const report = await sender({ maxMessageBytes: 1024, payloadOffloading: { s3, bucket: 'payloads', newKey: () => 'key-1' } }).send([{ body: 'small' }, { body: big }]);
    expect(s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toEqual([expect.objectContaining({ Bucket: 'payloads', Key: 'key-1', Body: big })]);
    const [small, pointer] = sentInputs()[0]!.Entries!;
    expect(small!.MessageBody).toBe('small');
    expect(pointer!.MessageBody).toBe(`["${POINTER_CLASS}",{"s3BucketName":"payloads","s3Key":"key-1"}]`);
    expect(pointer!.MessageAttributes).toEqual({ ExtendedPayloadSize: { DataType: 'Number', StringValue: '2000' } });
    expect(report.offloaded).toBe(1);
    expect(report.sent[1]!.pointer).toEqual({ s3BucketName: 'payloads', s3Key: 'key-1' });
  });

  test('an S3 failure fails that message (code PayloadOffloadFailed), the others are sent', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake(answer());
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('bucket gone'), { name: 'NoSuchBucket' }));
    const report = await sender({ maxMessageBytes: 1024, payloadOffloading: { s3, bucket: 'payloads' } }).send([{ body: 'x'.repeat(2000) }, { body: 'ok' }]);
    expect(report.failed.map((f) => [f.index, f.code, f.reason])).toEqual([[0, SendFailureCode.PayloadOffloadFailed, 'NoSuchBucket: bucket gone']]);
    expect(report.sent.map((s) => s.index)).toEqual([1]);
  });

  test('FIFO: an offloaded message without a deduplication id is deduplicated on its payload (SHA-256), as content-based deduplication would', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake(answer());
    s3Mock.on(PutObjectCommand).resolves({});
    const big = 'p'.repeat(2000);
    await sender({ queueUrl: FIFO, maxMessageBytes: 1024, payloadOffloading: { s3, bucket: 'payloads' } }).send([{ body: big, groupId: 'g' }, { body: 'small', groupId: 'g' }]);
    const entries = sentInputs().flatMap((i) => i.Entries!);
    expect(entries[0]!.MessageDeduplicationId).toBe(createHash('sha256').update(big).digest('hex'));
    expect(entries[1]!.MessageDeduplicationId).toBeUndefined();
  });

  test('forQueue reads the queue’s MaximumMessageSize and type', async () => {
    sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: { MaximumMessageSize: '262144', FifoQueue: 'true', ContentBasedDeduplication: 'true' } });
    const s = await SqsSender.forQueue(sqs, 'https://example/queue-without-suffix');
    expect(s.maxMessageBytes).toBe(262_144);
    expect(s.fifo).toBe(true);
  });
});

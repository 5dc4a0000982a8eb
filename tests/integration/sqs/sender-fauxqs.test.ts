/**
 * SqsSender against fauxqs (SQS + S3 on one port): 1,000 messages, some over the 1 MiB limit
 * (offloaded to S3 as Extended Client pointers), some large enough to force byte-based batch
 * splits, all received back and resolved exactly once; FIFO order per group; a queue whose own
 * MaximumMessageSize is lower offloads earlier.
 */
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { deletePayload, resolveMessageBody, type S3Pointer } from '../../../lib/sqs/extended-payload';
import { SqsSender, type OutgoingMessage } from '../../../lib/sqs/sender';
import { useEmulators } from '../../support/emulators';

const emulators = useEmulators({ services: ['sqs', 's3'] });
const BUCKET = 'it-sqs-payloads';
let queues = 0;

beforeAll(async () => {
  await emulators().clients.s3().send(new CreateBucketCommand({ Bucket: BUCKET }));
});

async function createQueue(fifo: boolean, attributes: Record<string, string> = {}): Promise<string> {
  const name = `it-sender-${++queues}${fifo ? '.fifo' : ''}`;
  const { QueueUrl } = await emulators().clients.sqs().send(
    new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '300', ...(fifo ? { FifoQueue: 'true' } : {}), ...attributes } }),
  );
  return QueueUrl!;
}

interface Received {
  readonly message: Message;
  readonly body: string;
  readonly pointer?: S3Pointer;
}

/** Receives until `expected` messages came back (or the queue stays empty), resolving pointers and deleting each. */
async function drain(sqs: SQSClient, queueUrl: string, expected: number): Promise<Received[]> {
  const s3 = emulators().clients.s3();
  const received: Received[] = [];
  let empty = 0;
  while (received.length < expected && empty < 3) {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
    );
    empty = messages.length === 0 ? empty + 1 : 0;
    for (const message of messages) {
      const resolved = await resolveMessageBody({ body: message.Body!, messageAttributes: message.MessageAttributes ?? {} }, s3);
      received.push({ message, ...resolved });
      if (resolved.pointer) await deletePayload(s3, resolved.pointer);
    }
    if (messages.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
  }
  return received;
}

/** A JSON body of `bytes` bytes, carrying its id. */
const bodyOf = (id: number, bytes: number): string => {
  const head = JSON.stringify({ id, pad: '' });
  return head.replace('"pad":""', `"pad":"${'x'.repeat(Math.max(0, bytes - head.length))}"`);
};

test('1,000 messages (20 over 1 MiB through S3, 100 of 200 KB) are all received back, resolved, exactly once', async () => {
  const sqs = emulators().clients.sqs();
  const queueUrl = await createQueue(false);
  const messages: OutgoingMessage[] = Array.from({ length: 1000 }, (_, id) => ({
    body: bodyOf(id, id % 50 === 0 ? 1_200_000 : id % 10 === 5 ? 200_000 : 300),
    attributes: { source: { DataType: 'String', StringValue: 'it' }, seq: { DataType: 'Number', StringValue: String(id) } },
  }));
  const sender = await SqsSender.forQueue(sqs, queueUrl, { payloadOffloading: { s3: emulators().clients.s3(), bucket: BUCKET } });
  expect(sender.maxMessageBytes).toBe(1_048_576);

  const report = await sender.send(messages);
  expect(report.failed).toEqual([]);
  expect(report.sent).toHaveLength(1000);
  expect(report.offloaded).toBe(20);
  expect(new Set(report.sent.map((s) => s.messageId)).size).toBe(1000);
  // 980 inline messages in batches of ≤ 10 and ≤ 1 MiB: 200 KB bodies force more than 98 requests.
  expect(report.requests).toBeGreaterThan(98);

  const received = await drain(sqs, queueUrl, 1000);
  expect(received).toHaveLength(1000);
  const byId = new Map<number, Received>();
  for (const r of received) {
    const id = (JSON.parse(r.body) as { id: number }).id;
    expect(byId.has(id)).toBe(false);
    byId.set(id, r);
  }
  for (let id = 0; id < 1000; id++) {
    const got = byId.get(id);
    expect(got?.body).toBe(messages[id]!.body);
    expect(got?.message.MessageAttributes?.seq?.StringValue).toBe(String(id));
    expect(got?.pointer !== undefined).toBe(id % 50 === 0);
  }
  // The pointer messages carried the Extended Client's attribute; every payload was deleted after use.
  expect(byId.get(0)!.message.MessageAttributes?.ExtendedPayloadSize).toEqual(expect.objectContaining({ DataType: 'Number', StringValue: '1200000' }));
  const left = await emulators().clients.s3().send(new ListObjectsV2Command({ Bucket: BUCKET }));
  expect(left.KeyCount ?? 0).toBe(0);
}, 120_000);

test('FIFO: every group arrives in the order sent, large payloads included', async () => {
  const sqs = emulators().clients.sqs();
  const queueUrl = await createQueue(true, { ContentBasedDeduplication: 'true' });
  const groups = ['g0', 'g1', 'g2', 'g3', 'g4', 'g5', 'g6'];
  const messages: OutgoingMessage[] = Array.from({ length: 280 }, (_, i) => ({
    body: bodyOf(i, i % 40 === 3 ? 1_100_000 : 200),
    groupId: groups[i % groups.length]!,
  }));
  const sender = await SqsSender.forQueue(sqs, queueUrl, { payloadOffloading: { s3: emulators().clients.s3(), bucket: BUCKET } });
  expect(sender.fifo).toBe(true);
  const report = await sender.send(messages);
  expect(report.failed).toEqual([]);
  expect(report.offloaded).toBe(7);

  const received = await drain(sqs, queueUrl, 280);
  expect(received).toHaveLength(280);
  for (const group of groups) {
    const sentOrder = messages.map((m, i) => ({ m, i })).filter(({ m }) => m.groupId === group).map(({ i }) => i);
    const receivedOrder = received.filter((r) => r.message.Attributes?.MessageGroupId === group).map((r) => (JSON.parse(r.body) as { id: number }).id);
    expect(receivedOrder).toEqual(sentOrder);
  }
}, 120_000);

test('a queue with a lower MaximumMessageSize: forQueue reads it and offloads above it', async () => {
  const sqs = emulators().clients.sqs();
  const queueUrl = await createQueue(false, { MaximumMessageSize: '1024' });
  const sender = await SqsSender.forQueue(sqs, queueUrl, { payloadOffloading: { s3: emulators().clients.s3(), bucket: BUCKET } });
  expect(sender.maxMessageBytes).toBe(1024);
  const report = await sender.send([{ body: bodyOf(1, 1000) }, { body: bodyOf(2, 5000) }]);
  expect(report).toMatchObject({ failed: [], offloaded: 1 });
  const received = await drain(sqs, queueUrl, 2);
  expect(received.map((r) => r.body).sort()).toEqual([bodyOf(1, 1000), bodyOf(2, 5000)].sort());

  // Without offloading, the same message is refused before any request, and reported.
  const plain = await SqsSender.forQueue(sqs, queueUrl);
  const refused = await plain.send([{ body: bodyOf(3, 5000) }]);
  expect(refused.failed.map((f) => [f.code, f.senderFault, f.attempts])).toEqual([['MessageTooLong', true, 0]]);
}, 60_000);

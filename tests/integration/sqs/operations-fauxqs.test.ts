/**
 * Queue operations against fauxqs: messages dead-lettered by the source queue's own redrive
 * policy, inspected (counts, DLQ from the RedrivePolicy, a peek), redriven back after a dry run —
 * bounded first, then the rest — with bodies, attributes and FIFO order intact. fauxqs has no
 * ListDeadLetterSourceQueues nor message move tasks, so the fallbacks run here.
 */
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { inspectQueue, readQueueState, redrive, type RedriveProgress } from '../../../lib/sqs/operations';
import { useEmulators } from '../../support/emulators';

const emulators = useEmulators({ services: ['sqs', 's3'] });
let pairs = 0;

interface Pair {
  readonly source: string;
  readonly dlq: string;
  readonly sourceName: string;
  readonly dlqName: string;
}

async function queuePair(fifo: boolean): Promise<Pair> {
  const sqs = emulators().clients.sqs();
  const base = `it-ops-${++pairs}`;
  const suffix = fifo ? '.fifo' : '';
  const fifoAttributes: Record<string, string> = fifo ? { FifoQueue: 'true' } : {};
  const dlqName = `${base}-dlq${suffix}`;
  const sourceName = `${base}${suffix}`;
  const { QueueUrl: dlq } = await sqs.send(new CreateQueueCommand({ QueueName: dlqName, Attributes: fifoAttributes }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }));
  const { QueueUrl: source } = await sqs.send(
    new CreateQueueCommand({
      QueueName: sourceName,
      Attributes: { ...fifoAttributes, RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: 1 }) },
    }),
  );
  return { source: source!, dlq: dlq!, sourceName, dlqName };
}

async function sendAll(sqs: SQSClient, queueUrl: string, bodies: readonly string[], groupOf?: (body: string) => string): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(i, i + 10).map((body, j) => ({
          Id: String(j),
          MessageBody: body,
          MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' }, n: { DataType: 'Number', StringValue: String(i + j) } },
          ...(groupOf ? { MessageGroupId: groupOf(body), MessageDeduplicationId: `d-${body}` } : {}),
        })),
      }),
    );
    expect(out.Failed ?? []).toEqual([]);
  }
}

/** Receives with visibility timeout 0 until the source is empty: each message's second receive passes maxReceiveCount 1 and moves it to the DLQ. */
async function deadLetterAll(sqs: SQSClient, queueUrl: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    const { counts } = await readQueueState(sqs, queueUrl);
    if (counts.visible + counts.inFlight === 0) return;
  }
  throw new Error('messages did not reach the DLQ');
}

/** Receives and deletes everything in the queue, in receive order. */
async function drain(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (let empty = 0; empty < 2; ) {
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
    );
    if (messages.length === 0) {
      empty++;
      continue;
    }
    all.push(...messages);
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
  return all;
}

test('inspect, dry run, bounded redrive, full redrive: every dead-lettered message back in its queue, once', async () => {
  const sqs = emulators().clients.sqs();
  const pair = await queuePair(false);
  const bodies = Array.from({ length: 25 }, (_, i) => JSON.stringify({ order: i }));
  await sendAll(sqs, pair.source, bodies);
  await deadLetterAll(sqs, pair.source);

  const inspection = await inspectQueue(sqs, pair.sourceName);
  expect(inspection.queue.counts).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  expect(inspection.deadLetterQueue).toMatchObject({ maxReceiveCount: 1, queue: { url: pair.dlq, counts: { visible: 25, inFlight: 0, delayed: 0 } } });

  const dlqInspection = await inspectQueue(sqs, pair.dlq, { peek: 5 });
  expect(dlqInspection.sample).toHaveLength(5);
  expect(dlqInspection.sample!.every((m) => bodies.includes(m.body) && m.attributes.kind?.StringValue === 'order')).toBe(true);
  expect(dlqInspection.oldestSampledAgeSeconds).toBeGreaterThanOrEqual(0);
  expect(dlqInspection.sourceQueues).toEqual({ urls: [pair.source], via: 'redrive-policy-scan' });
  // The peek consumed nothing. (SQS makes a message received with VisibilityTimeout 0 visible at
  // once; fauxqs counts it in flight until its next receive, hence visible + in flight.)
  const visibleOrPeeked = async (url: string): Promise<number> => {
    const { counts } = await readQueueState(sqs, url);
    return counts.visible + counts.inFlight;
  };
  expect(await visibleOrPeeked(pair.dlq)).toBe(25);

  const dryRun = await redrive(sqs, { deadLetterQueue: pair.dlqName, dryRun: true, peek: 3 });
  expect(dryRun).toMatchObject({ method: 'dry-run', moved: 0, failed: [], destination: { url: pair.source, via: 'redrive-policy-scan' } });
  expect(dryRun.wouldMove).toBe(dryRun.deadLetterQueue.counts.visible);
  expect(dryRun.deadLetterQueue.counts.visible + dryRun.deadLetterQueue.counts.inFlight).toBe(25);
  expect(dryRun.sample).toHaveLength(3);
  expect(await visibleOrPeeked(pair.dlq)).toBe(25);
  expect(await visibleOrPeeked(pair.source)).toBe(0);

  const progress: RedriveProgress[] = [];
  const bounded = await redrive(sqs, { deadLetterQueue: pair.dlq, maxMessages: 10, waitTimeSeconds: 0, onProgress: (p) => progress.push(p) });
  expect(bounded).toMatchObject({ method: 'receive-send-delete', moved: 10, failed: [], duplicated: 0 });
  expect(progress.at(-1)).toEqual({ moved: 10, failed: 0, total: 10 });
  expect((await readQueueState(sqs, pair.dlq)).counts.visible).toBe(15);
  expect((await readQueueState(sqs, pair.source)).counts.visible).toBe(10);

  // No bound: auto tries a message move task, which fauxqs lacks, and falls back.
  const rest = await redrive(sqs, { deadLetterQueue: pair.dlq, waitTimeSeconds: 0 });
  expect(rest).toMatchObject({ method: 'receive-send-delete', moved: 15, failed: [] });
  expect((await readQueueState(sqs, pair.dlq)).counts).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

  const back = await drain(sqs, pair.source);
  expect(back.map((m) => m.Body).sort()).toEqual([...bodies].sort());
  for (const message of back) {
    const n = Number(message.MessageAttributes?.n?.StringValue);
    expect(message.Body).toBe(bodies[n]);
    expect(message.MessageAttributes?.kind?.StringValue).toBe('order');
  }
}, 60_000);

test('FIFO: a redriven DLQ keeps each group in order', async () => {
  const sqs = emulators().clients.sqs();
  const pair = await queuePair(true);
  const groups = ['a', 'b', 'c'];
  const bodies = groups.flatMap((g) => Array.from({ length: 6 }, (_, i) => `${g}-${i}`));
  await sendAll(sqs, pair.source, bodies, (body) => body.split('-')[0]!);
  await deadLetterAll(sqs, pair.source);
  expect((await readQueueState(sqs, pair.dlq)).counts.visible).toBe(18);

  const report = await redrive(sqs, { deadLetterQueue: pair.dlq, method: 'receive-send-delete', waitTimeSeconds: 0 });
  expect(report).toMatchObject({ moved: 18, failed: [] });

  const back = await drain(sqs, pair.source);
  expect(back).toHaveLength(18);
  for (const group of groups) {
    const order = back.filter((m) => m.Attributes?.MessageGroupId === group).map((m) => m.Body);
    expect(order).toEqual(bodies.filter((b) => b.startsWith(`${group}-`)));
  }
}, 60_000);

/**
 * The local SQS event source mapping against fauxqs: poison messages reach the DLQ through the
 * queue's own redrive policy (the mapping only leaves them undeleted), good ones are applied once,
 * nothing is lost; ReportBatchItemFailures deletes only what succeeded, a thrown error deletes
 * nothing; FIFO order per group survives failures and retries while other groups go on; batchSize,
 * the batching window and maximumConcurrency are honoured. Queues have a 1 s visibility timeout
 * and maxReceiveCount 2, so that retries and redrives happen within the test.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { Emulators } from '../../../lib/local/emulators';
import { startEmulators } from '../../../lib/local/emulators';
import type { SqsMappingConfig } from '../../../lib/local/esm/sqs-event-source';
import { SqsEventSource } from '../../../lib/local/esm/sqs-event-source';

let emulators: Emulators<'sqs'>;
let queueCount = 0;

beforeAll(async () => {
  emulators = await startEmulators({ services: ['sqs'] });
}, 60_000);

afterAll(async () => {
  await emulators?.stop();
});

const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:000000000000:function:consumer';
const MAX_RECEIVE_COUNT = 2;

interface TestQueue {
  readonly queueUrl: string;
  readonly queueArn: string;
}

async function createQueue(name: string, attributes: Record<string, string> = {}): Promise<TestQueue> {
  const sqs = emulators.clients.sqs();
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { queueUrl: QueueUrl!, queueArn: Attributes!.QueueArn! };
}

/** A fresh queue (visibility timeout 1 s) with its DLQ (maxReceiveCount 2), FIFO or not. */
async function queueWithDlq(fifo = false): Promise<{ queue: TestQueue; dlq: TestQueue }> {
  const name = `esm-sqs-${++queueCount}`;
  const suffix = fifo ? '.fifo' : '';
  const fifoAttributes: Record<string, string> = fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'true' } : {};
  const dlq = await createQueue(`${name}-dlq${suffix}`, fifoAttributes);
  const queue = await createQueue(`${name}${suffix}`, {
    ...fifoAttributes,
    VisibilityTimeout: '1',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
  });
  return { queue, dlq };
}

/** Sends bodies in order (by tens); on a FIFO queue the group is the body's part before `-`. */
async function send(queue: TestQueue, bodies: readonly string[], fifo = false): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const out = await emulators.clients.sqs().send(new SendMessageBatchCommand({
      QueueUrl: queue.queueUrl,
      Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body, ...(fifo ? { MessageGroupId: body.split('-')[0]! } : {}) })),
    }));
    expect(out.Failed ?? []).toEqual([]);
  }
}

/** Every message a queue holds now (all visible: nothing else reads it). */
async function bodiesIn(queue: TestQueue): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages } = await emulators.clients.sqs().send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }));
    if (!Messages?.length) return bodies;
    bodies.push(...Messages.map((m) => m.Body!));
  }
}

async function queueCounts(queue: TestQueue): Promise<{ visible: number; inFlight: number }> {
  const { Attributes: a } = await emulators.clients.sqs().send(new GetQueueAttributesCommand({
    QueueUrl: queue.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  }));
  return { visible: Number(a!.ApproximateNumberOfMessages), inFlight: Number(a!.ApproximateNumberOfMessagesNotVisible) };
}

const mapping = (queue: TestQueue, settings: Partial<SqsMappingConfig> = {}): SqsMappingConfig => ({ functionArn: FUNCTION_ARN, ...queue, ...settings });

const isPoison = (record: SQSRecord): boolean => record.body.startsWith('poison');

it('ReportBatchItemFailures: good messages applied once, poison ones redriven to the DLQ after maxReceiveCount, nothing lost', async () => {
  const { queue, dlq } = await queueWithDlq();
  const bodies = Array.from({ length: 30 }, (_, i) => (i % 8 === 3 ? `poison-${i}` : `good-${i}`));
  const poisonCount = bodies.filter((b) => b.startsWith('poison')).length;
  await send(queue, bodies);
  const applied = new Map<string, number>();
  const appliedBodies: string[] = [];
  const poisonReceives = new Map<string, string[]>();
  const source = new SqsEventSource(mapping(queue, { batchSize: 10, reportBatchItemFailures: true }), emulators.clients.sqs(), (_arn, event: SQSEvent) => {
    expect(event.Records.every((r) => r.eventSource === 'aws:sqs' && r.eventSourceARN === queue.queueArn && r.awsRegion === 'eu-west-1')).toBe(true);
    for (const record of event.Records.filter((r) => !isPoison(r))) {
      applied.set(record.messageId, (applied.get(record.messageId) ?? 0) + 1);
      appliedBodies.push(record.body);
    }
    for (const record of event.Records.filter(isPoison)) {
      poisonReceives.set(record.body, [...(poisonReceives.get(record.body) ?? []), record.attributes.ApproximateReceiveCount]);
    }
    return Promise.resolve({ batchItemFailures: event.Records.filter(isPoison).map((r) => ({ itemIdentifier: r.messageId })) });
  });
  await expect(source.drain({ maxDurationMs: 15_000 })).resolves.toMatchObject({ drained: true });

  expect([...applied.values()].every((n) => n === 1)).toBe(true);
  expect(applied.size).toBe(bodies.length - poisonCount);
  // Each poison message was received maxReceiveCount times, then the queue moved it.
  expect([...poisonReceives.values()]).toEqual(Array.from({ length: poisonCount }, () => ['1', '2']));
  const inDlq = await bodiesIn(dlq);
  expect(inDlq.sort()).toEqual(bodies.filter((b) => b.startsWith('poison')).sort());
  expect([...appliedBodies, ...inDlq].sort()).toEqual([...bodies].sort());
  expect(await queueCounts(queue)).toEqual({ visible: 0, inFlight: 0 });
  expect(source.stats).toMatchObject({ messagesDeleted: bodies.length - poisonCount, messagesFailed: poisonCount * MAX_RECEIVE_COUNT, failedInvocations: 0 });
});

it('a function that throws: one message a batch, the poison ones end in the DLQ, the others applied once', async () => {
  const { queue, dlq } = await queueWithDlq();
  const bodies = ['good-0', 'poison-1', 'good-2', 'good-3', 'poison-4', 'good-5'];
  await send(queue, bodies);
  const applied = new Map<string, string>();
  const source = new SqsEventSource(mapping(queue, { batchSize: 1 }), emulators.clients.sqs(), (_arn, event) => {
    if (event.Records.some(isPoison)) return Promise.reject(new Error('poison'));
    for (const r of event.Records) {
      expect(applied.has(r.messageId)).toBe(false);
      applied.set(r.messageId, r.body);
    }
    return Promise.resolve(null);
  });
  await expect(source.drain({ maxDurationMs: 15_000 })).resolves.toMatchObject({ drained: true });
  expect([...applied.values()].sort()).toEqual(['good-0', 'good-2', 'good-3', 'good-5']);
  expect((await bodiesIn(dlq)).sort()).toEqual(['poison-1', 'poison-4']);
  expect(source.stats).toMatchObject({ invocations: 4 + 2 * MAX_RECEIVE_COUNT, failedInvocations: 2 * MAX_RECEIVE_COUNT, messagesDeleted: 4 });
});

it('a thrown error deletes nothing: the whole batch comes back', async () => {
  const { queue } = await queueWithDlq();
  const bodies = ['m-0', 'm-1', 'm-2', 'm-3', 'm-4'];
  await send(queue, bodies);
  const failing = new SqsEventSource(mapping(queue), emulators.clients.sqs(), () => Promise.reject(new Error('boom')));
  // Shorter than the visibility timeout: the batch is tried once.
  await expect(failing.drain({ maxDurationMs: 400, pollMs: 50 })).resolves.toMatchObject({ drained: false });
  expect(failing.stats).toMatchObject({ invocations: 1, failedInvocations: 1, messagesDeleted: 0, messagesFailed: 5 });
  expect(await queueCounts(queue)).toEqual({ visible: 0, inFlight: 5 });

  const retried: SQSRecord[] = [];
  const succeeding = new SqsEventSource(mapping(queue), emulators.clients.sqs(), (_arn, event) => {
    retried.push(...event.Records);
    return Promise.resolve(null);
  });
  await expect(succeeding.drain({ maxDurationMs: 5_000 })).resolves.toMatchObject({ drained: true });
  expect(retried.map((r) => r.body).sort()).toEqual(bodies);
  expect(retried.every((r) => r.attributes.ApproximateReceiveCount === '2')).toBe(true);
});

it('ReportBatchItemFailures deletes only the messages not reported', async () => {
  const { queue } = await queueWithDlq();
  await send(queue, ['m-0', 'm-1', 'm-2', 'm-3', 'm-4']);
  const failOnce = new Set(['m-1', 'm-3']);
  const batches: string[][] = [];
  const source = new SqsEventSource(mapping(queue, { reportBatchItemFailures: true }), emulators.clients.sqs(), (_arn, event) => {
    batches.push(event.Records.map((r) => r.body));
    const failed = event.Records.filter((r) => failOnce.delete(r.body));
    return Promise.resolve({ batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) });
  });
  await source.drain({ maxDurationMs: 400, pollMs: 50 });
  expect(await queueCounts(queue)).toEqual({ visible: 0, inFlight: 2 });
  expect(source.stats).toMatchObject({ messagesDeleted: 3, messagesFailed: 2 });
  await expect(source.drain({ maxDurationMs: 5_000 })).resolves.toMatchObject({ drained: true });
  expect(batches.map((b) => [...b].sort())).toEqual([['m-0', 'm-1', 'm-2', 'm-3', 'm-4'], ['m-1', 'm-3']]);
});

it('FIFO: order per group kept across failures, retries and a redrive, while the other groups go on', async () => {
  const { queue, dlq } = await queueWithDlq(true);
  const groups = ['A', 'B', 'C'];
  const bodies = [1, 2, 3, 4].flatMap((n) => groups.map((g) => `${g}-${n}`));
  await send(queue, bodies, true);
  const processed: string[] = [];
  let b3Failed = false;
  const source = new SqsEventSource(mapping(queue, { reportBatchItemFailures: true }), emulators.clients.sqs(), (_arn, event) => {
    const failedGroups = new Set<string>();
    const failures: string[] = [];
    for (const record of event.Records) {
      const group = record.attributes.MessageGroupId!;
      expect(record.body.startsWith(`${group}-`)).toBe(true);
      expect(record.attributes.SequenceNumber).toMatch(/^\d+$/);
      expect(record.attributes.MessageDeduplicationId).toBeTruthy();
      // A-2 always fails, B-3 once; after a failure the rest of the group is reported too.
      const fails = failedGroups.has(group) || record.body === 'A-2' || (record.body === 'B-3' && !b3Failed);
      if (record.body === 'B-3' && fails) b3Failed = true;
      if (fails) {
        failedGroups.add(group);
        failures.push(record.messageId);
      } else {
        processed.push(record.body);
      }
    }
    return Promise.resolve({ batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) });
  });
  await expect(source.drain({ maxDurationMs: 15_000 })).resolves.toMatchObject({ drained: true });

  const ofGroup = (g: string): string[] => processed.filter((b) => b.startsWith(`${g}-`));
  expect(ofGroup('A')).toEqual(['A-1', 'A-3', 'A-4']);
  expect(ofGroup('B')).toEqual(['B-1', 'B-2', 'B-3', 'B-4']);
  expect(ofGroup('C')).toEqual(['C-1', 'C-2', 'C-3', 'C-4']);
  // Group C finished while A waited for A-2's retries and its move to the DLQ.
  expect(processed.indexOf('C-4')).toBeLessThan(processed.indexOf('A-3'));
  expect(await bodiesIn(dlq)).toEqual(['A-2']);
});

it('honours batchSize and the batching window', async () => {
  // A visibility timeout longer than the window, as AWS asks: nothing comes back while gathering.
  const queue = await createQueue(`esm-sqs-${++queueCount}`, { VisibilityTimeout: '30' });
  const sqs = emulators.clients.sqs();
  const sizes = async (settings: Partial<SqsMappingConfig>, count: number): Promise<{ sizes: number[]; ms: number }> => {
    await send(queue, Array.from({ length: count }, (_, i) => `m-${i}`));
    const seen: number[] = [];
    const source = new SqsEventSource(mapping(queue, settings), sqs, (_arn, event) => {
      seen.push(event.Records.length);
      return Promise.resolve(null);
    });
    const { drained, elapsedMs } = await source.drain({ maxDurationMs: 10_000 });
    expect(drained).toBe(true);
    return { sizes: seen, ms: elapsedMs };
  };
  // No window: one receive a batch, at most batchSize.
  expect((await sizes({ batchSize: 4 }, 10)).sizes).toEqual([4, 4, 2]);
  // Above 10 with a window: gathered over several receives.
  expect((await sizes({ batchSize: 25, maximumBatchingWindowInSeconds: 3 }, 30)).sizes).toEqual([25, 5]);
  // A batch that does not fill waits for the window, then goes as it is.
  const windowed = await sizes({ batchSize: 100, maximumBatchingWindowInSeconds: 1 }, 3);
  expect(windowed.sizes).toEqual([3]);
  expect(windowed.ms).toBeGreaterThanOrEqual(1000);
});

it('keeps at most maximumConcurrency batches in flight', async () => {
  const { queue } = await queueWithDlq();
  await send(queue, Array.from({ length: 12 }, (_, i) => `m-${i}`));
  let inFlight = 0;
  let peak = 0;
  const source = new SqsEventSource(mapping(queue, { batchSize: 1, maximumConcurrency: 3 }), emulators.clients.sqs(), async () => {
    peak = Math.max(peak, ++inFlight);
    await new Promise((resolve) => setTimeout(resolve, 50));
    inFlight--;
    return null;
  });
  await expect(source.drain({ maxDurationMs: 10_000 })).resolves.toMatchObject({ drained: true });
  expect(peak).toBe(3);
  expect(source.stats).toMatchObject({ invocations: 12, messagesDeleted: 12 });
});

/**
 * Both SQS workers through the local SQS event source mapping (`SqsEventSource`, Lambda's
 * semantics) against fauxqs queues with a DLQ each (redrive `maxReceiveCount` 2, visibility
 * timeout 1 s, so that retries and redrives happen within the test) and DynamoDB Local tables:
 * every message sent is accounted for — applied exactly once in effect, or in the DLQ after
 * maxReceiveCount receives — under poison messages, injected throttling, duplicates, large
 * payloads through S3, FIFO failures and a worker crash mid-batch.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { createHandler as createFifoWorker } from '../../../functions/sqs-fifo-worker';
import { createHandler as createWorker } from '../../../functions/sqs-worker';
import type { AwsClients } from '../../../lib/aws/clients';
import { createAwsClients } from '../../../lib/aws/clients';
import { scanAll } from '../../../lib/aws/scan-all';
import { SqsEventSource } from '../../../lib/local/esm/sqs-event-source';
import { createLogger, createMetrics } from '../../../lib/observability/powertools';
import type { TableKeyDefinition } from '../../../lib/sinks/dynamodb/tables';
import { LEDGER_TABLE_KEYS } from '../../../lib/sinks/dynamodb-ledger';
import { VOTE_TABLE_KEYS } from '../../../lib/sinks/dynamodb-votes';
import { encodePointer, RESERVED_ATTRIBUTE_NAME } from '../../../lib/sqs/extended-payload';
import type { LedgerEntry } from '../../../lib/sqs/workers/ledger-entry';
import { useEmulators } from '../../support/emulators';
import { lambdaContext } from '../../support/lambda-context';
import { testEntry, testVote } from '../../unit/sqs/batch/sqs-events';

const emulators = useEmulators({ services: ['sqs', 's3', 'dynamodb'] });

const MAX_RECEIVE_COUNT = 2;
const BUCKET = 'worker-payloads';
const VOTE_ENV = { VOTES_TABLE: 'votes', VOTE_TALLIES_TABLE: 'vote-tallies', DELETE_PAYLOAD_AFTER_SUCCESS: 'true' };
const LEDGER_ENV = { LEDGER_TABLE: 'ledger', ACCOUNTS_TABLE: 'accounts' };

interface TestQueue {
  readonly queueUrl: string;
  readonly queueArn: string;
}

let queueCount = 0;
const workerClients: AwsClients[] = [];

beforeAll(async () => {
  const dynamodb = emulators().clients.dynamodb();
  const tables: [string, TableKeyDefinition][] = [
    [VOTE_ENV.VOTES_TABLE, VOTE_TABLE_KEYS.votes], [VOTE_ENV.VOTE_TALLIES_TABLE, VOTE_TABLE_KEYS.tallies],
    [LEDGER_ENV.LEDGER_TABLE, LEDGER_TABLE_KEYS.entries], [LEDGER_ENV.ACCOUNTS_TABLE, LEDGER_TABLE_KEYS.accounts],
  ];
  for (const [TableName, { KeySchema, AttributeDefinitions }] of tables) {
    await dynamodb.send(new CreateTableCommand({ TableName, KeySchema: [...KeySchema], AttributeDefinitions: [...AttributeDefinitions], BillingMode: 'PAY_PER_REQUEST' }));
  }
  await emulators().clients.s3().send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(() => {
  for (const clients of workerClients) clients.dynamodb().destroy();
});

async function createQueue(name: string, attributes: Record<string, string> = {}): Promise<TestQueue> {
  const sqs = emulators().clients.sqs();
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { queueUrl: QueueUrl!, queueArn: Attributes!.QueueArn! };
}

/** A fresh queue (visibility timeout 1 s) and its DLQ (maxReceiveCount 2). */
async function queueWithDlq(fifo: boolean): Promise<{ queue: TestQueue; dlq: TestQueue }> {
  const name = `workers-${++queueCount}`;
  const suffix = fifo ? '.fifo' : '';
  const fifoAttributes: Record<string, string> = fifo ? { FifoQueue: 'true' } : {};
  const dlq = await createQueue(`${name}-dlq${suffix}`, fifoAttributes);
  const queue = await createQueue(`${name}${suffix}`, {
    ...fifoAttributes,
    VisibilityTimeout: '1',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: MAX_RECEIVE_COUNT }),
  });
  return { queue, dlq };
}

/** Sends the entries in order, by tens (`Id`s are set here). */
async function send(queue: TestQueue, entries: readonly Omit<SendMessageBatchRequestEntry, 'Id'>[]): Promise<void> {
  for (let i = 0; i < entries.length; i += 10) {
    const out = await emulators().clients.sqs().send(new SendMessageBatchCommand({
      QueueUrl: queue.queueUrl,
      Entries: entries.slice(i, i + 10).map((entry, j) => ({ ...entry, Id: String(j) })),
    }));
    expect(out.Failed ?? []).toEqual([]);
  }
}

/**
 * Every body the queue holds now, in the order received, taking them out (a FIFO queue hands out
 * no more of a group while one of its messages is in flight).
 */
async function takeBodies(queue: TestQueue): Promise<string[]> {
  const sqs = emulators().clients.sqs();
  const bodies: string[] = [];
  for (;;) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }));
    if (!Messages?.length) return bodies;
    bodies.push(...Messages.map((m) => m.Body!));
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queue.queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
}

async function queueCounts(queue: TestQueue): Promise<{ visible: number; inFlight: number }> {
  const { Attributes: a } = await emulators().clients.sqs().send(new GetQueueAttributesCommand({
    QueueUrl: queue.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  }));
  return { visible: Number(a!.ApproximateNumberOfMessages), inFlight: Number(a!.ApproximateNumberOfMessagesNotVisible) };
}

/** The decision of a fault injector about one DynamoDB request: an error to throw instead of sending it. */
type Fault = (command: string, input: Record<string, unknown>) => Error | undefined;

/**
 * Clients for a worker, their DynamoDB client wrapped: `fault` may fail a request before it is
 * sent (no SDK retry: the worker's own retries apply), `committed` hears of each transaction
 * DynamoDB accepted, in order.
 */
function workerClientsWith(fault: Fault = () => undefined, committed: (input: Record<string, unknown>) => void = () => undefined): AwsClients {
  const clients = createAwsClients(emulators().clientConfig);
  workerClients.push(clients);
  const dynamodb: DynamoDBClient = clients.dynamodb();
  dynamodb.middlewareStack.add((next, context) => async (args) => {
    const input = args.input as Record<string, unknown>;
    const error = fault(context.commandName ?? '', input);
    if (error) throw error;
    const out = await next(args);
    if (context.commandName === 'TransactWriteItemsCommand') committed(input);
    return out;
  }, { step: 'initialize', name: 'injectedFaults' });
  return clients;
}

const throttled = (): Error => Object.assign(new Error('Rate of requests exceeds the allowed throughput (injected)'), { name: 'ProvisionedThroughputExceededException', $fault: 'client' });

type TransactItems = { Put?: { Item?: Record<string, { S?: string; N?: string }> } }[];
const putItemsOf = (input: Record<string, unknown>): Record<string, { S?: string; N?: string }>[] =>
  (input.TransactItems as TransactItems | undefined ?? []).flatMap((a) => (a.Put?.Item ? [a.Put.Item] : []));

type WorkerHandler = (event: SQSEvent, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;
const invokerOf = (handler: WorkerHandler) => (_arn: string, event: SQSEvent) => handler(event, lambdaContext('worker'));

/** A worker with its metrics observed: the counts it published, summed over its invocations. */
function observedMetrics() {
  const metrics = createMetrics('workers-it');
  const addMetric = jest.spyOn(metrics, 'addMetric');
  const total = (name: string): number => addMetric.mock.calls.filter((c) => c[0] === name).reduce((sum, c) => sum + c[2], 0);
  return { metrics, logger: createLogger('workers-it'), total };
}

async function tallies(): Promise<Map<string, number>> {
  const items = await scanAll(emulators().clients.dynamodb(), VOTE_ENV.VOTE_TALLIES_TABLE);
  return new Map(items.map((t) => [`${t.poll_id!.S}/${t.option!.S}`, Number(t.votes!.N)]));
}

async function ledgerOf(account: string): Promise<{ sequences: number[]; balances: string[]; entryIds: string[] }> {
  const items = (await scanAll(emulators().clients.dynamodb(), LEDGER_ENV.LEDGER_TABLE))
    .filter((e) => e.account_id!.S === account)
    .sort((a, b) => Number(a.sequence!.N) - Number(b.sequence!.N));
  return { sequences: items.map((e) => Number(e.sequence!.N)), balances: items.map((e) => e.balance_after!.N!), entryIds: items.map((e) => e.entry_id!.S!) };
}

/** Running balances of entries 1…n of `entries` (amounts `<sequence>.10`), as DynamoDB prints them. */
const runningBalances = (entries: readonly LedgerEntry[]): string[] => {
  let cents = 0;
  return entries.map((e) => {
    cents += Math.round(Number(e.amount) * 100);
    return String(cents / 100);
  });
};

describe('standard worker (votes)', () => {
  it('N messages with K poison: N−K applied exactly once, K in the DLQ after maxReceiveCount receives, nothing lost', async () => {
    const { queue, dlq } = await queueWithDlq(false);
    const s3 = emulators().clients.s3();
    const votes = Array.from({ length: 45 }, (_, n) => testVote(n, { poll_id: `it-poll-${n % 3}` }));
    const large = testVote(45, { poll_id: 'it-poll-0', voter_id: `voter-${'x'.repeat(100)}` });
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'votes/large-45', Body: JSON.stringify(large) }));
    const pointer = (key: string, bytes: number): Omit<SendMessageBatchRequestEntry, 'Id'> => ({
      MessageBody: encodePointer({ s3BucketName: BUCKET, s3Key: key }),
      MessageAttributes: { [RESERVED_ATTRIBUTE_NAME]: { DataType: 'Number', StringValue: String(bytes) } },
    });
    const poison = [
      { MessageBody: '{"vote_id": oops' },
      { MessageBody: 'plain text' },
      { MessageBody: JSON.stringify({ ...testVote(90), vote_id: 'not-a-uuid' }) },
      { MessageBody: JSON.stringify({ ...testVote(91), cast_at: 'yesterday' }) },
      pointer('votes/never-written', 120),
    ];
    const messages = [
      ...votes.map((v) => ({ MessageBody: JSON.stringify(v) })),
      // Producer duplicates: five votes sent a second time.
      ...votes.slice(0, 5).map((v) => ({ MessageBody: JSON.stringify(v) })),
      pointer('votes/large-45', Buffer.byteLength(JSON.stringify(large))),
      ...poison,
    ];
    // Interleave the poison messages among the others.
    const sent = messages.map((m, i) => ({ m, key: (i * 37) % messages.length })).sort((a, b) => a.key - b.key).map(({ m }) => m);
    await send(queue, sent);

    // Vote 7's tally is throttled for its first 6 requests: beyond the worker's 5 attempts, so its
    // messages fail once and come back after the visibility timeout.
    let throttles = 6;
    const fault: Fault = (command, input) =>
      command === 'TransactWriteItemsCommand' && throttles > 0 && putItemsOf(input).some((item) => item.vote_id?.S === votes[7]!.vote_id) && throttles-- > 0 ? throttled() : undefined;
    const observed = observedMetrics();
    const handler = createWorker({ clients: workerClientsWith(fault), env: VOTE_ENV, logger: observed.logger, metrics: observed.metrics });
    const source = new SqsEventSource({ functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:sqs-worker', ...queue, batchSize: 10, reportBatchItemFailures: true }, emulators().clients.sqs(), invokerOf(handler));
    await expect(source.drain({ maxDurationMs: 30_000 })).resolves.toMatchObject({ drained: true });

    // Applied exactly once: 46 distinct votes recorded, tallies summing to 46.
    const recorded = await scanAll(emulators().clients.dynamodb(), VOTE_ENV.VOTES_TABLE);
    const ours = recorded.filter((v) => v.poll_id!.S!.startsWith('it-poll-'));
    expect(ours.map((v) => v.vote_id!.S).sort()).toEqual([...votes, large].map((v) => v.vote_id).sort());
    const counts = await tallies();
    const expected = new Map<string, number>();
    for (const v of [...votes, large]) expected.set(`${v.poll_id}/${v.option}`, (expected.get(`${v.poll_id}/${v.option}`) ?? 0) + 1);
    for (const [key, n] of expected) expect([key, counts.get(key)]).toEqual([key, n]);
    expect(throttles).toBe(0);

    // K poison in the DLQ, each after maxReceiveCount receives; the rest deleted; nothing lost.
    const inDlq = await takeBodies(dlq);
    expect(inDlq.sort()).toEqual(poison.map((p) => p.MessageBody).sort());
    expect(source.stats.messagesDeleted).toBe(sent.length - poison.length);
    expect(source.stats.messagesDeleted + inDlq.length).toBe(sent.length);
    expect(await queueCounts(queue)).toEqual({ visible: 0, inFlight: 0 });
    expect(observed.total('PoisonMessages')).toBe(poison.length * MAX_RECEIVE_COUNT);
    expect(observed.total('MessagesApplied')).toBe(46);
    expect(observed.total('DuplicateMessages')).toBe(5);
    expect(observed.total('MessagesRetried')).toBeGreaterThanOrEqual(1);
    // The large vote's S3 object was deleted once it was counted (DELETE_PAYLOAD_AFTER_SUCCESS).
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'votes/' }));
    expect(listed.Contents ?? []).toEqual([]);
  }, 60_000);

  it('a worker that crashes mid-batch: the batch comes back whole and every vote counts once', async () => {
    const { queue, dlq } = await queueWithDlq(false);
    const votes = Array.from({ length: 20 }, (_, n) => testVote(200 + n, { poll_id: 'crash-poll' }));
    await send(queue, votes.map((v) => ({ MessageBody: JSON.stringify(v) })));
    const observed = observedMetrics();
    const handler = createWorker({ clients: workerClientsWith(), env: VOTE_ENV, logger: observed.logger, metrics: observed.metrics });
    let crashes = 0;
    const source = new SqsEventSource({ functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:sqs-worker', ...queue, batchSize: 10, reportBatchItemFailures: true }, emulators().clients.sqs(), async (_arn, event) => {
      if (crashes < 2) {
        // The first two batches: half of it written, then the process dies (no response).
        crashes++;
        await handler({ Records: event.Records.slice(0, Math.ceil(event.Records.length / 2)) }, lambdaContext('worker'));
        throw new Error('Runtime exited with error: signal: killed');
      }
      return handler(event, lambdaContext('worker'));
    });
    await expect(source.drain({ maxDurationMs: 20_000 })).resolves.toMatchObject({ drained: true });
    expect(source.stats.failedInvocations).toBe(2);
    const counts = await tallies();
    const sum = [...counts].filter(([key]) => key.startsWith('crash-poll/')).reduce((total, [, n]) => total + n, 0);
    expect(sum).toBe(20);
    expect(observed.total('MessagesApplied')).toBe(20);
    // The half written before each crash came back as duplicates.
    expect(observed.total('DuplicateMessages')).toBe(10);
    expect(await takeBodies(dlq)).toEqual([]);
  }, 60_000);
});

describe('standard worker (votes): conflicting duplicates', () => {
  it('a vote id reused for another vote is rejected to the DLQ; the vote first counted stands', async () => {
    const { queue, dlq } = await queueWithDlq(false);
    const original = testVote(300, { poll_id: 'conflict-poll', option: 'yes' });
    const reused = { ...original, option: 'no' };
    const handler = createWorker({ clients: workerClientsWith(), env: VOTE_ENV });
    const mapping = { functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:sqs-worker', ...queue, batchSize: 10, reportBatchItemFailures: true };
    await send(queue, [{ MessageBody: JSON.stringify(original) }]);
    await new SqsEventSource(mapping, emulators().clients.sqs(), invokerOf(handler)).drain({ maxDurationMs: 10_000 });
    await send(queue, [{ MessageBody: JSON.stringify(reused) }, { MessageBody: JSON.stringify(original) }]);
    await expect(new SqsEventSource(mapping, emulators().clients.sqs(), invokerOf(handler)).drain({ maxDurationMs: 15_000 })).resolves.toMatchObject({ drained: true });
    expect(await takeBodies(dlq)).toEqual([JSON.stringify(reused)]);
    const counts = await tallies();
    expect([counts.get('conflict-poll/yes'), counts.get('conflict-poll/no')]).toEqual([1, undefined]);
  }, 60_000);
});

describe('FIFO worker (ledger)', () => {
  /** `accounts` × `count` entries, sent interleaved (A1, B1, C1, A2, …), each in its account's group. */
  function ledgerMessages(accounts: readonly string[], count: number): { entries: Map<string, LedgerEntry[]>; messages: Omit<SendMessageBatchRequestEntry, 'Id'>[] } {
    const entries = new Map(accounts.map((a) => [a, Array.from({ length: count }, (_, i) => testEntry(a, i + 1))]));
    const messages = Array.from({ length: count }, (_, i) => accounts.map((a) => entries.get(a)![i]!)).flat()
      .map((e) => ({ MessageBody: JSON.stringify(e), MessageGroupId: e.account_id, MessageDeduplicationId: e.entry_id }));
    return { entries, messages };
  }

  it('keeps each account in order under a transient failure and a poison entry; other groups go on; duplicates change nothing', async () => {
    const { queue, dlq } = await queueWithDlq(true);
    const { entries, messages } = ledgerMessages(['fa', 'fb', 'fc'], 8);
    // fb's entry 5 is poison (its amount a JSON number): fb stops at 4, entries 5–8 end in the DLQ.
    const poisonIndex = messages.findIndex((m) => m.MessageGroupId === 'fb' && (JSON.parse(m.MessageBody!) as LedgerEntry).sequence === 5);
    messages[poisonIndex] = { ...messages[poisonIndex]!, MessageBody: JSON.stringify({ ...entries.get('fb')![4]!, amount: 5.1 }) };
    // A producer resend of fc's entry 2 after SQS's 5-minute deduplication window (a new dedup id).
    messages.push({ MessageBody: JSON.stringify(entries.get('fc')![1]!), MessageGroupId: 'fc', MessageDeduplicationId: 'resend-fc-2' });
    await send(queue, messages);

    // fa's entry 3 is throttled for its first 6 requests: it fails once, with fa's later entries.
    let throttles = 6;
    const order = new Map<string, number[]>();
    const fault: Fault = (command, input) =>
      command === 'TransactWriteItemsCommand' && throttles > 0 && putItemsOf(input).some((i) => i.account_id?.S === 'fa' && i.sequence?.N === '3') && throttles-- > 0 ? throttled() : undefined;
    const committed = (input: Record<string, unknown>): void => {
      for (const item of putItemsOf(input)) order.set(item.account_id!.S!, [...(order.get(item.account_id!.S!) ?? []), Number(item.sequence!.N)]);
    };
    const observed = observedMetrics();
    const handler = createFifoWorker({ clients: workerClientsWith(fault, committed), env: LEDGER_ENV, logger: observed.logger, metrics: observed.metrics });
    const source = new SqsEventSource({ functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:sqs-fifo-worker', ...queue, batchSize: 10, reportBatchItemFailures: true }, emulators().clients.sqs(), invokerOf(handler));
    await expect(source.drain({ maxDurationMs: 40_000 })).resolves.toMatchObject({ drained: true });

    // Applied strictly in order, each once.
    expect(order.get('fa')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(order.get('fb')).toEqual([1, 2, 3, 4]);
    expect(order.get('fc')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const account of ['fa', 'fc']) {
      const ledger = await ledgerOf(account);
      expect(ledger.sequences).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(ledger.balances).toEqual(runningBalances(entries.get(account)!));
    }
    expect((await ledgerOf('fb')).balances).toEqual(runningBalances(entries.get('fb')!.slice(0, 4)));
    expect(throttles).toBe(0);

    // fb 5–8 in the DLQ, in order; everything else deleted; nothing lost.
    const inDlq = (await takeBodies(dlq)).map((b) => JSON.parse(b) as LedgerEntry);
    expect(inDlq.map((e) => `${e.account_id}-${e.sequence}`)).toEqual(['fb-5', 'fb-6', 'fb-7', 'fb-8']);
    expect(source.stats.messagesDeleted + inDlq.length).toBe(messages.length);
    expect(await queueCounts(queue)).toEqual({ visible: 0, inFlight: 0 });
    expect(observed.total('DuplicateMessages')).toBe(1);
    expect(observed.total('MessagesApplied')).toBe(20);
  }, 60_000);

  it('a worker that crashes mid-batch: the groups come back in order and nothing is applied twice', async () => {
    const { queue, dlq } = await queueWithDlq(true);
    const { entries, messages } = ledgerMessages(['ka', 'kb'], 10);
    await send(queue, messages);
    const order = new Map<string, number[]>();
    const committed = (input: Record<string, unknown>): void => {
      for (const item of putItemsOf(input)) order.set(item.account_id!.S!, [...(order.get(item.account_id!.S!) ?? []), Number(item.sequence!.N)]);
    };
    const observed = observedMetrics();
    const handler = createFifoWorker({ clients: workerClientsWith(undefined, committed), env: LEDGER_ENV, logger: observed.logger, metrics: observed.metrics });
    let crashed = false;
    const source = new SqsEventSource({ functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:sqs-fifo-worker', ...queue, batchSize: 10, reportBatchItemFailures: true }, emulators().clients.sqs(), async (_arn, event) => {
      if (!crashed) {
        crashed = true;
        await handler({ Records: event.Records.slice(0, Math.ceil(event.Records.length / 2)) }, lambdaContext('worker'));
        throw new Error('Runtime exited with error: signal: killed');
      }
      return handler(event, lambdaContext('worker'));
    });
    await expect(source.drain({ maxDurationMs: 20_000 })).resolves.toMatchObject({ drained: true });
    for (const account of ['ka', 'kb']) {
      expect(order.get(account)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      expect((await ledgerOf(account)).balances).toEqual(runningBalances(entries.get(account)!));
    }
    expect(observed.total('MessagesApplied')).toBe(20);
    expect(observed.total('DuplicateMessages')).toBeGreaterThan(0);
    expect(await takeBodies(dlq)).toEqual([]);
  }, 60_000);
});

/**
 * The SQS workers, two ways:
 * - CPU µs per message through each handler as deployed (middy, Powertools, decode, schema,
 *   batch logic, building the DynamoDB requests), with DynamoDB answering in-process;
 * - messages/s end to end on the emulators (fauxqs → the local SQS event source mapping → the
 *   votes worker → DynamoDB Local), beside a plain receive/delete loop over the same number of
 *   messages on the same queue, measured in the same run.
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { createHandler as createVotesHandler } from '../../functions/sqs-worker';
import { createHandler as createLedgerHandler } from '../../functions/sqs-fifo-worker';
import type { AwsClients } from '../../lib/aws/clients';
import { generateLedgerEntries, generateVotes } from '../../lib/datasets/votes';
import { startEmulators } from '../../lib/local/emulators';
import { SqsEventSource } from '../../lib/local/esm/sqs-event-source';
import { createLogger, createMetrics } from '../../lib/observability/powertools';
import { VOTE_TABLE_KEYS } from '../../lib/sinks/dynamodb-votes';
import { SqsSender } from '../../lib/sqs/sender';
import type { BenchResult } from '../harness';
import { result } from '../harness';

const ENV = { VOTES_TABLE: 'votes', VOTE_TALLIES_TABLE: 'tallies', LEDGER_TABLE: 'ledger', ACCOUNTS_TABLE: 'accounts', DELETE_PAYLOAD_AFTER_SUCCESS: 'false' };
const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

function record(body: string, i: number, groupId?: string): SQSRecord {
  return {
    messageId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, receiptHandle: `r-${i}`, body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1795644000000', SenderId: 'bench', ApproximateFirstReceiveTimestamp: '1795644000001', ...(groupId ? { MessageGroupId: groupId, SequenceNumber: String(i), MessageDeduplicationId: `d-${i}` } : {}) },
    messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: groupId ? 'arn:aws:sqs:eu-west-1:1:ledger.fifo' : 'arn:aws:sqs:eu-west-1:1:votes', awsRegion: 'eu-west-1',
  };
}

/** DynamoDB answering every call at once: transactions succeed, no account exists yet. */
function instantClients(): AwsClients {
  const client = { send: () => Promise.resolve({}) };
  return { dynamodb: () => client, s3: () => client } as unknown as AwsClients;
}

async function cpuMicrosPerMessage(run: (round: number) => Promise<unknown>, messages: number, rounds: number): Promise<number> {
  for (let i = 0; i < 3; i++) await run(i);
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.cpuUsage();
    await run(i + 3);
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / messages);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

async function workerCpu(): Promise<BenchResult[]> {
  const options = { clients: instantClients(), env: ENV, logger: createLogger('bench'), metrics: createMetrics('bench') };
  const votes = createVotesHandler(options);
  const ledger = createLedgerHandler(options);
  // 100 batches of 10 per round, as Lambda delivers them; every ledger entry the first of its account.
  const voteEvents: SQSEvent[] = [];
  const ledgerEvents: SQSEvent[] = [];
  const allVotes = generateVotes(1_000, { seed: 5 });
  const allEntries = generateLedgerEntries(1_000, { seed: 6, accounts: 1_000 }).map((e, i) => ({ ...e, account_id: `acct-${i}`, sequence: 1 }));
  for (let b = 0; b < 100; b++) {
    voteEvents.push({ Records: allVotes.slice(b * 10, b * 10 + 10).map((v, i) => record(JSON.stringify(v), b * 10 + i)) });
    ledgerEvents.push({ Records: allEntries.slice(b * 10, b * 10 + 10).map((e, i) => record(JSON.stringify(e), b * 10 + i, e.account_id)) });
  }
  const floorMicros = await cpuMicrosPerMessage(() => {
    let fields = 0;
    for (const event of voteEvents) for (const r of event.Records) fields += Object.keys(JSON.parse(r.body) as object).length;
    return Promise.resolve(fields);
  }, 1_000, 15);
  const results: BenchResult[] = [];
  for (const [name, handler, events] of [['sqs-worker (votes)', votes, voteEvents], ['sqs-fifo-worker (ledger)', ledger, ledgerEvents]] as const) {
    const micros = await cpuMicrosPerMessage(async () => {
      for (const event of events) {
        const response = await handler(event, context);
        if (response.batchItemFailures.length > 0) throw new Error(`${name}: unexpected failures`);
      }
    }, 1_000, 15);
    results.push(result(`sqs-workers: ${name}, CPU µs per message (DynamoDB answered in-process) × floor (JSON.parse)`, micros, 'µs', floorMicros));
  }
  return results;
}

async function endToEnd(): Promise<BenchResult[]> {
  const emulators = await startEmulators({ services: ['sqs', 'dynamodb'] });
  try {
    const { clients } = emulators;
    for (const [kind, name] of [['votes', 'votes'], ['tallies', 'tallies']] as const) {
      await clients.dynamodb().send(new CreateTableCommand({ TableName: name, BillingMode: 'PAY_PER_REQUEST', KeySchema: [...VOTE_TABLE_KEYS[kind].KeySchema], AttributeDefinitions: [...VOTE_TABLE_KEYS[kind].AttributeDefinitions] }));
    }
    const sqs = clients.sqs();
    const queue = async (name: string): Promise<{ url: string; arn: string }> => {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '30' } }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      return { url: QueueUrl!, arn: Attributes!.QueueArn! };
    };
    const n = 2_000;
    const bodies = generateVotes(n, { seed: 9 }).map((v) => ({ body: JSON.stringify(v) }));
    // Baseline: receive and delete the same number of messages, nothing else.
    const plain = await queue('bench-plain');
    await new SqsSender({ client: sqs, queueUrl: plain.url }).send(bodies);
    let started = performance.now();
    for (let left = n; left > 0;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: plain.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) continue;
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: plain.url, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
      left -= Messages.length;
    }
    const plainRate = n / ((performance.now() - started) / 1000);
    // The worker, through the local event source mapping, into DynamoDB Local.
    const votes = await queue('bench-votes');
    await new SqsSender({ client: sqs, queueUrl: votes.url }).send(bodies);
    const handler = createVotesHandler({ clients, env: ENV, logger: createLogger('bench'), metrics: createMetrics('bench') });
    const mapping = new SqsEventSource({ functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:bench', queueUrl: votes.url, queueArn: votes.arn, batchSize: 10, reportBatchItemFailures: true, maximumConcurrency: 5 }, sqs, (_arn, event) => handler(event, context));
    started = performance.now();
    await mapping.drain();
    const workerRate = n / ((performance.now() - started) / 1000);
    if (mapping.stats.messagesDeleted !== n) throw new Error(`expected ${n} messages handled, got ${mapping.stats.messagesDeleted}`);
    return [result('sqs-workers: votes end to end (fauxqs → mapping → worker → DynamoDB Local), messages/s × plain receive/delete loop', workerRate, 'msg/s', plainRate)];
  } finally {
    await emulators.stop();
  }
}

export async function sqsWorkersSuite(): Promise<BenchResult[]> {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  return [...(await workerCpu()), ...(await endToEnd())];
}

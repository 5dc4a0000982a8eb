/**
 * The queue half of the main job, offline: votes through the standard queue and ledger entries
 * through the FIFO queue, sent with the SQS sender (some bodies through S3 as Extended Client
 * pointers), with re-sent duplicates and poison messages mixed in; the two workers run through
 * serverless.yml's event source mappings, poison messages reach the DLQs by the redrive policy.
 * It then takes stock of the tables and the DLQs and proves the outcome is exactly the expected one.
 */
import { performance } from 'node:perf_hooks';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { scanAll } from '../aws/scan-all';
import { generateLedgerEntries, generateVotes } from '../datasets/votes';
import type { LedgerEntry } from '../datasets/votes';
import type { LocalRuntime } from '../local/runtime';
import type { SqsMappingStats } from '../local/esm/sqs-event-source';
import { normaliseDecimal } from '../cdc/proof/compare-tables';
import { SqsSender } from '../sqs/sender';
import type { OutgoingMessage, SendReport } from '../sqs/sender';

export interface QueuesPipelineOptions {
  readonly votes: number;
  readonly ledgerEntries: number;
  readonly accounts: number;
  readonly seed: number;
  /** One poison message after every n valid ones (0: none). */
  readonly badEvery: number;
  /** Every n-th message is sent twice (0: none). */
  readonly duplicateEvery: number;
  /** Every n-th vote goes through S3 as an Extended Client pointer (0: none). */
  readonly throughS3Every: number;
  readonly onProgress?: (event: { phase: 'send' | 'work'; done: number; total: number }) => void;
}

export interface QueueStock {
  readonly function: string;
  readonly queue: string;
  readonly sent: number;
  readonly mapping: SqsMappingStats;
  readonly deadLetters: number;
}

export interface QueuesReport {
  readonly votes: { readonly unique: number; readonly counted: number; readonly recorded: number; readonly poison: number; readonly duplicates: number; readonly throughS3: number };
  readonly ledger: { readonly unique: number; readonly applied: number; readonly accounts: number; readonly balancesExact: boolean; readonly poison: number; readonly duplicates: number };
  readonly queues: readonly QueueStock[];
  readonly seconds: number;
  readonly problems: readonly string[];
}

const FUNCTIONS = { votes: 'sqsWorker', ledger: 'sqsFifoWorker' } as const;

/** The exact sum of decimal texts, in the smallest unit of their scale (8 fraction digits). */
function decimalSum(values: readonly string[]): string {
  let total = 0n;
  for (const value of values) {
    const [whole, fraction = ''] = value.replace('-', '').split('.');
    const units = BigInt(whole!) * 10n ** 8n + BigInt((fraction + '00000000').slice(0, 8));
    total += value.startsWith('-') ? -units : units;
  }
  const negative = total < 0n;
  const abs = negative ? -total : total;
  return normaliseDecimal(`${negative ? '-' : ''}${abs / 10n ** 8n}.${String(abs % 10n ** 8n).padStart(8, '0')}`);
}

export async function runQueuesPipeline(runtime: LocalRuntime, options: QueuesPipelineOptions): Promise<QueuesReport> {
  const env = (key: string, variable: string): string => {
    const value = (runtime.service.functions?.[key] as { environment?: Record<string, unknown> } | undefined)?.environment?.[variable];
    if (typeof value !== 'string') throw new Error(`serverless.yml: functions.${key}.environment.${variable} must be a literal string`);
    return value;
  };
  const mappingOf = (key: string) => {
    const mapping = runtime.mappings.sqs.find((m) => runtime.functions.keyOf(m.config.functionArn) === key);
    if (!mapping) throw new Error(`serverless.yml declares no SQS event source for ${key}`);
    return mapping;
  };
  const sqs = runtime.clients.sqs();
  const deadLetterUrlOf = async (queueUrl: string): Promise<string> => {
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }));
    const arn = (JSON.parse(Attributes?.RedrivePolicy ?? '{}') as { deadLetterTargetArn?: string }).deadLetterTargetArn;
    const dlq = Object.values(runtime.resources.resources).find((r) => r.arn === arn);
    if (!dlq) throw new Error(`queue ${queueUrl} has no dead-letter queue declared`);
    return dlq.ref;
  };
  const votesMapping = mappingOf(FUNCTIONS.votes);
  const ledgerMapping = mappingOf(FUNCTIONS.ledger);
  const bucket = Object.values(runtime.resources.resources).find((r) => r.type === 'AWS::S3::Bucket')?.name;
  if (!bucket) throw new Error('serverless.yml declares no bucket for large payloads');

  // Votes: valid ones, re-sent duplicates, poison, and some through S3.
  const votes = generateVotes(options.votes, { seed: options.seed });
  const voteMessages: OutgoingMessage[] = [];
  const viaS3: OutgoingMessage[] = [];
  let votePoison = 0;
  let voteDuplicates = 0;
  votes.forEach((vote, i) => {
    const message = { body: JSON.stringify(vote) };
    (options.throughS3Every > 0 && (i + 1) % options.throughS3Every === 0 ? viaS3 : voteMessages).push(message);
    if (options.duplicateEvery > 0 && (i + 1) % options.duplicateEvery === 0) {
      voteMessages.push(message);
      voteDuplicates++;
    }
    if (options.badEvery > 0 && (i + 1) % options.badEvery === 0) {
      voteMessages.push({ body: votePoison % 2 === 0 ? `{"vote_id":"${vote.vote_id}",` : JSON.stringify({ ...vote, vote_id: `not-a-uuid-${i}` }) });
      votePoison++;
    }
  });

  // Ledger: entries in order per account (group); duplicates with a new deduplication id (as a
  // producer retrying after SQS's 5-minute window); one poison entry as the last of its account.
  const entries = generateLedgerEntries(options.ledgerEntries, { seed: options.seed + 1, accounts: options.accounts });
  const ledgerMessage = (entry: LedgerEntry, attempt = 0): OutgoingMessage => ({ body: JSON.stringify(entry), groupId: entry.account_id, deduplicationId: `${entry.entry_id}:${attempt}` });
  const ledgerMessages: OutgoingMessage[] = [];
  let ledgerDuplicates = 0;
  entries.forEach((entry, i) => {
    ledgerMessages.push(ledgerMessage(entry));
    if (options.duplicateEvery > 0 && (i + 1) % options.duplicateEvery === 0) {
      ledgerMessages.push(ledgerMessage(entry, 1));
      ledgerDuplicates++;
    }
  });
  let ledgerPoison = 0;
  const last = entries.at(-1);
  if (options.badEvery > 0 && last) {
    const next = entries.filter((e) => e.account_id === last.account_id).length + 1;
    ledgerMessages.push(ledgerMessage({ ...last, entry_id: last.entry_id.replace(/^.{8}/, 'ffffffff'), sequence: next, amount: '12.345678901' }));
    ledgerPoison++;
  }

  const started = performance.now();
  const total = voteMessages.length + viaS3.length + ledgerMessages.length;
  let sentSoFar = 0;
  const progress = (report: SendReport): void => {
    sentSoFar += report.sent.length + report.failed.length;
    options.onProgress?.({ phase: 'send', done: sentSoFar, total });
  };
  const s3 = runtime.clients.s3();
  const reports = [
    await new SqsSender({ client: sqs, queueUrl: votesMapping.config.queueUrl }).send(voteMessages),
    await new SqsSender({ client: sqs, queueUrl: votesMapping.config.queueUrl, payloadOffloading: { s3, bucket, alwaysThroughS3: true, keyPrefix: 'sqs-payloads/' } }).send(viaS3),
    await new SqsSender({ client: sqs, queueUrl: ledgerMapping.config.queueUrl, fifo: true }).send(ledgerMessages),
  ];
  reports.forEach(progress);
  const work = (): number => votesMapping.stats.messagesDeleted + ledgerMapping.stats.messagesDeleted;
  const ticker = setInterval(() => options.onProgress?.({ phase: 'work', done: Math.min(work(), total), total }), 500);
  try {
    await runtime.settle();
  } finally {
    clearInterval(ticker);
  }
  options.onProgress?.({ phase: 'work', done: total, total });
  const seconds = (performance.now() - started) / 1000;

  // Stock-taking.
  const deadLetters = async (queueUrl: string): Promise<number> => {
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: await deadLetterUrlOf(queueUrl), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  };
  const dynamodb = runtime.clients.dynamodb();
  const recordedVotes = await scanAll(dynamodb, env(FUNCTIONS.votes, 'VOTES_TABLE'));
  const tallies = await scanAll(dynamodb, env(FUNCTIONS.votes, 'VOTE_TALLIES_TABLE'));
  const ledger = await scanAll(dynamodb, env(FUNCTIONS.ledger, 'LEDGER_TABLE'));
  const accounts = await scanAll(dynamodb, env(FUNCTIONS.ledger, 'ACCOUNTS_TABLE'));
  const counted = tallies.reduce((sum, item) => sum + Number(item.votes?.N ?? 0), 0);
  const expectedTallies = new Map<string, number>();
  for (const vote of votes) expectedTallies.set(`${vote.poll_id}|${vote.option}`, (expectedTallies.get(`${vote.poll_id}|${vote.option}`) ?? 0) + 1);
  const expectedBalances = new Map<string, { balance: string; last: number }>();
  for (const account of new Set(entries.map((e) => e.account_id))) {
    const own = entries.filter((e) => e.account_id === account);
    expectedBalances.set(account, { balance: decimalSum(own.map((e) => e.amount)), last: own.length });
  }
  const balancesExact = accounts.length === expectedBalances.size && accounts.every((item) => {
    const expected = expectedBalances.get(item.account_id?.S ?? '');
    return expected !== undefined && normaliseDecimal(item.balance?.N ?? '') === expected.balance && Number(item.last_sequence?.N) === expected.last;
  });
  const queues: QueueStock[] = [
    { function: FUNCTIONS.votes, queue: votesMapping.config.queueUrl, sent: reports[0]!.sent.length + reports[1]!.sent.length, mapping: { ...votesMapping.stats }, deadLetters: await deadLetters(votesMapping.config.queueUrl) },
    { function: FUNCTIONS.ledger, queue: ledgerMapping.config.queueUrl, sent: reports[2]!.sent.length, mapping: { ...ledgerMapping.stats }, deadLetters: await deadLetters(ledgerMapping.config.queueUrl) },
  ];

  const problems: string[] = [];
  const check = (ok: boolean, problem: string): void => {
    if (!ok) problems.push(problem);
  };
  for (const report of reports) check(report.failed.length === 0, `${report.failed.length} messages could not be sent: ${report.failed[0]?.code ?? ''}`);
  check(recordedVotes.length === votes.length, `votes table holds ${recordedVotes.length} votes, expected ${votes.length}`);
  check(counted === votes.length, `tallies count ${counted} votes, expected ${votes.length}`);
  check(tallies.every((item) => expectedTallies.get(`${item.poll_id?.S}|${item.option?.S}`) === Number(item.votes?.N)) && tallies.length === expectedTallies.size, 'a tally differs from the votes sent');
  check(ledger.length === entries.length, `ledger holds ${ledger.length} entries, expected ${entries.length}`);
  check(balancesExact, 'an account balance or last sequence differs from the sum of its entries');
  check(queues[0]!.deadLetters === votePoison, `votes DLQ holds ${queues[0]!.deadLetters} messages, expected the ${votePoison} poison ones`);
  check(queues[1]!.deadLetters === ledgerPoison, `ledger DLQ holds ${queues[1]!.deadLetters} messages, expected the ${ledgerPoison} poison ones`);
  return {
    votes: { unique: votes.length, counted, recorded: recordedVotes.length, poison: votePoison, duplicates: voteDuplicates, throughS3: reports[1]!.offloaded },
    ledger: { unique: entries.length, applied: ledger.length, accounts: accounts.length, balancesExact, poison: ledgerPoison, duplicates: ledgerDuplicates },
    queues,
    seconds,
    problems,
  };
}

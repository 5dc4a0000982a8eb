/** Lambda SQS events built the way the event source mapping builds them, and sample worker messages. */
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { LedgerEntry } from '../../../../lib/sqs/workers/ledger-entry';
import type { Vote } from '../../../../lib/sqs/workers/vote';

export const TEST_QUEUE_ARN = 'arn:aws:sqs:eu-west-1:123456789012:shardline-test-votes';
export const TEST_FIFO_QUEUE_ARN = 'arn:aws:sqs:eu-west-1:123456789012:shardline-test-ledger.fifo';

/** A uuid that says which test value it is: `…-000000000042` for n = 42. */
export const testUuid = (n: number, prefix = '00000000'): string => `${prefix}-0000-4000-8000-${String(n).padStart(12, '0')}`;

export interface TestMessage {
  readonly body: string;
  readonly messageId?: string;
  readonly groupId?: string;
  readonly receiveCount?: number;
  readonly messageAttributes?: SQSMessageAttributes;
}

/** One record; message ids default to `msg-<index>`. On FIFO (a group id), SequenceNumber and MessageDeduplicationId are set too. */
export function sqsRecord(message: TestMessage, index = 0): SQSRecord {
  const fifo = message.groupId !== undefined;
  return {
    messageId: message.messageId ?? `msg-${index}`,
    receiptHandle: `handle-${index}`,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount ?? 1),
      SentTimestamp: '1795644000000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1795644000100',
      ...(fifo ? { MessageGroupId: message.groupId, SequenceNumber: String(18_800_000_000_000_000_000n + BigInt(index)), MessageDeduplicationId: `dedup-${index}` } : {}),
    },
    messageAttributes: message.messageAttributes ?? {},
    md5OfBody: '0'.repeat(32),
    eventSource: 'aws:sqs',
    eventSourceARN: fifo ? TEST_FIFO_QUEUE_ARN : TEST_QUEUE_ARN,
    awsRegion: 'eu-west-1',
  };
}

export function sqsEvent(messages: readonly (TestMessage | string)[]): SQSEvent {
  return { Records: messages.map((m, i) => sqsRecord(typeof m === 'string' ? { body: m } : m, i)) };
}

/** The ids a response reports failed. */
export const failedIds = (response: { batchItemFailures: { itemIdentifier: string }[] }): string[] => response.batchItemFailures.map((f) => f.itemIdentifier);

/** Vote number `n`: poll `poll-<n % polls>`, option `opt-<n % options>`. */
export function testVote(n: number, overrides: Partial<Vote> = {}, shape: { polls?: number; options?: number } = {}): Vote {
  return {
    vote_id: testUuid(n),
    poll_id: `poll-${n % (shape.polls ?? 2)}`,
    option: `opt-${n % (shape.options ?? 3)}`,
    voter_id: `voter-${n}`,
    cast_at: `2026-11-25T22:00:${String(n % 60).padStart(2, '0')}.000Z`,
    channel: 'web',
    ...overrides,
  };
}

/** Entry `sequence` of `account`; amount `<sequence>.10` unless given. */
export function testEntry(account: string, sequence: number, overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    entry_id: testUuid(sequence, account.replace(/[^0-9a-f]/g, '').padEnd(8, 'a').slice(0, 8)),
    account_id: account,
    sequence,
    amount: `${sequence}.10`,
    currency: 'EUR',
    booked_at: '2026-11-25T22:00:00.000Z',
    ...overrides,
  };
}

/** A FIFO message carrying a ledger entry in its account's group. */
export const entryMessage = (entry: LedgerEntry, overrides: Partial<TestMessage> = {}): TestMessage => ({ body: JSON.stringify(entry), groupId: entry.account_id, ...overrides });

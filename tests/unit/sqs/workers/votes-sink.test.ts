import { DynamoDBClient, GetItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import type { Vote } from '../../../../lib/sqs/workers/vote';
import { VOTE_TABLE_KEYS, voteItem, VotesDynamoDbSink } from '../../../../lib/sinks/dynamodb-votes';
import { InvalidSinkOptionsError } from '../../../../lib/sinks/dynamodb/errors';
import { testVote } from '../batch/sqs-events';
import { cancelled, dynamoDbError, FakeDynamoDb, VOTE_TABLES } from './fake-dynamodb';

const db = new FakeDynamoDb({ [VOTE_TABLES.votes]: VOTE_TABLE_KEYS.votes, [VOTE_TABLES.tallies]: VOTE_TABLE_KEYS.tallies });
const client = new DynamoDBClient({ region: 'eu-west-1' });
const sink = (options: Partial<ConstructorParameters<typeof VotesDynamoDbSink>[0]> = {}) =>
  new VotesDynamoDbSink({ client, tables: VOTE_TABLES, sleep: () => Promise.resolve(), now: () => Date.UTC(2026, 10, 26), ...options });
const items = (votes: readonly Vote[]) => votes.map((value, ref) => ({ ref, value }));

/** Tallies as `poll/option → votes`. */
const tallies = (): Record<string, number> =>
  Object.fromEntries(db.items(VOTE_TABLES.tallies).map((t) => [`${t.poll_id!.S}/${t.option!.S}`, Number(t.votes!.N)]));

beforeEach(() => db.install());

describe('VotesDynamoDbSink', () => {
  it('records each vote and counts it in its tally, one transaction per tally', async () => {
    const votes = Array.from({ length: 12 }, (_, n) => testVote(n));
    const result = await sink().write(items(votes));
    expect(result).toMatchObject({ failures: [], duplicates: [], stats: { votesCounted: 12, transactions: 6 } });
    expect(db.items(VOTE_TABLES.votes)).toHaveLength(12);
    expect(tallies()).toEqual({ 'poll-0/opt-0': 2, 'poll-1/opt-1': 2, 'poll-0/opt-2': 2, 'poll-1/opt-0': 2, 'poll-0/opt-1': 2, 'poll-1/opt-2': 2 });
    const transaction = db.committed[0]!;
    expect(transaction.at(-1)!.Update).toMatchObject({ UpdateExpression: 'ADD #votes :n SET #updated = :now', ExpressionAttributeValues: { ':n': { N: '2' } } });
    expect(transaction[0]!.Put).toMatchObject({ ConditionExpression: 'attribute_not_exists(vote_id)', Item: voteItem(votes[0]!, '2026-11-26T00:00:00.000Z') });
  });

  it('a redelivered batch changes nothing: every vote is a duplicate', async () => {
    const votes = Array.from({ length: 6 }, (_, n) => testVote(n));
    await sink().write(items(votes));
    const before = tallies();
    const again = await sink().write(items(votes));
    expect(again).toMatchObject({ failures: [], duplicates: [0, 1, 2, 3, 4, 5], stats: { votesCounted: 0, duplicates: 6 } });
    expect(tallies()).toEqual(before);
  });

  it('takes duplicates out of a shared transaction and counts the others once', async () => {
    const old = [testVote(0), testVote(6)];
    await sink().write(items(old));
    // Same tally (poll-0/opt-0) for 0, 6, 12, 18.
    const result = await sink().write(items([testVote(0), testVote(12), testVote(6), testVote(18)]));
    expect(result.failures).toEqual([]);
    expect([...result.duplicates].sort()).toEqual([0, 2]);
    expect(result.stats).toMatchObject({ votesCounted: 2, duplicates: 2, transactions: 2 });
    expect(tallies()['poll-0/opt-0']).toBe(4);
  });

  it('counts a vote repeated within the batch once', async () => {
    const result = await sink().write(items([testVote(1), testVote(1), testVote(2)]));
    expect(result).toMatchObject({ failures: [], duplicates: [1], stats: { votesCounted: 2, duplicates: 1 } });
    expect(Object.values(tallies()).reduce((a, b) => a + b)).toBe(2);
  });

  it('rejects a vote id reused for a different vote, in the batch or already stored; the first one stands', async () => {
    await sink().write(items([testVote(1)]));
    const result = await sink().write(items([testVote(1, { option: 'opt-2' }), testVote(2), testVote(2, { voter_id: 'someone-else' })]));
    expect(result.failures.map((f) => [f.ref, f.kind, f.code]).sort()).toEqual([[0, 'permanent', 'ConflictingDuplicate'], [2, 'permanent', 'ConflictingDuplicate']]);
    expect(result.stats).toMatchObject({ votesCounted: 1, conflictingDuplicates: 2 });
    expect(db.get(VOTE_TABLES.votes, { vote_id: { S: testVote(1).vote_id } })!.option).toEqual({ S: 'opt-1' });
  });

  it('judges a reused id against the recorded vote even when the reuse comes first in the batch', async () => {
    await sink().write(items([testVote(1)]));
    const result = await sink().write(items([testVote(1, { option: 'opt-2' }), testVote(1), testVote(1, { option: 'opt-2' })]));
    expect(result.failures.map((f) => [f.ref, f.code])).toEqual([[0, 'ConflictingDuplicate'], [2, 'ConflictingDuplicate']]);
    expect(result.duplicates).toEqual([1]);
    expect(tallies()).toEqual({ 'poll-1/opt-1': 1 });
  });

  it('leaves the other votes of a reused id to their redelivery when the first one could not be written', async () => {
    db.injectFault(() => dynamoDbError('ThrottlingException'));
    const result = await sink({ maxAttempts: 1 }).write(items([testVote(1), testVote(1, { option: 'opt-2' })]));
    expect(result.failures.map((f) => [f.ref, f.kind, f.code])).toEqual([[0, 'transient', 'ThrottlingException'], [1, 'transient', 'Deferred']]);
  });

  it('reads the stored vote when the cancellation does not return it', async () => {
    await sink().write(items([testVote(3)]));
    db.injectFault((actions) => (actions.length === 2 && actions[0]!.Put?.Item?.vote_id?.S === testVote(3).vote_id ? cancelled(['ConditionalCheckFailed', 'None']) : undefined));
    const result = await sink().write(items([testVote(3)]));
    expect(result).toMatchObject({ failures: [], duplicates: [0] });
    expect(db.mock.commandCalls(GetItemCommand)).toHaveLength(1);
  });

  it('retries a transaction cancelled for a conflict or throttling, then counts it once', async () => {
    db.injectFault((_actions, attempt) => (attempt === 1 ? cancelled(['None', 'TransactionConflict']) : attempt === 2 ? dynamoDbError('ProvisionedThroughputExceededException') : undefined));
    const result = await sink().write(items([testVote(1)]));
    expect(result).toMatchObject({ failures: [], stats: { votesCounted: 1, retries: 2 } });
    expect(tallies()).toEqual({ 'poll-1/opt-1': 1 });
  });

  it('reports the votes of a tally still throttled after the retries as transient, counting nothing of them', async () => {
    db.injectFault((actions) => (actions.at(-1)!.Update!.Key!.option!.S === 'opt-1' ? dynamoDbError('ThrottlingException') : undefined));
    const result = await sink({ maxAttempts: 3 }).write(items([testVote(1), testVote(2), testVote(7)]));
    expect(result.failures.map((f) => [f.ref, f.kind, f.code])).toEqual([[0, 'transient', 'ThrottlingException'], [2, 'transient', 'ThrottlingException']]);
    expect(db.transactionCalls).toBe(3 + 1);
    expect(tallies()).toEqual({ 'poll-0/opt-2': 1 });
    expect(db.items(VOTE_TABLES.votes).map((v) => v.vote_id!.S)).toEqual([testVote(2).vote_id]);
  });

  it('reports a 5xx or a missing table as transient, a ValidationException of the request as permanent', async () => {
    const faults: Record<string, Error> = {
      'opt-1': dynamoDbError('ValidationException'),
      'opt-2': dynamoDbError('InternalServerError', 'server'),
      'opt-0': dynamoDbError('ResourceNotFoundException'),
    };
    db.injectFault((actions) => faults[actions.at(-1)!.Update!.Key!.option!.S!]);
    const result = await sink({ maxAttempts: 2 }).write(items([testVote(1), testVote(7), testVote(2), testVote(3)]));
    expect(result.failures.map((f) => [f.ref, f.kind, f.code]).sort()).toEqual([
      [0, 'permanent', 'ValidationException'], [1, 'permanent', 'ValidationException'], [2, 'transient', 'InternalServerError'], [3, 'transient', 'ResourceNotFoundException'],
    ]);
    // Only the 5xx was retried.
    expect(db.transactionCalls).toBe(4);
  });

  it('a vote DynamoDB refuses (ValidationError) is rejected alone; the others of its transaction are counted', async () => {
    db.injectFault((actions, attempt) => (attempt === 1 ? cancelled(actions.map((_a, i) => (i === 1 ? 'ValidationError' : 'None'))) : undefined));
    const result = await sink().write(items([testVote(1), testVote(7), testVote(13)]));
    expect(result.failures.map((f) => [f.ref, f.kind, f.code])).toEqual([[1, 'permanent', 'ValidationError']]);
    expect(tallies()).toEqual({ 'poll-1/opt-1': 2 });
  });

  it('reads the reasons from the message when CancellationReasons is missing', async () => {
    await sink().write(items([testVote(1)]));
    db.injectFault((_actions, attempt) => (attempt === 2 ? Object.assign(new Error('Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None, None]'), { name: 'TransactionCanceledException' }) : undefined));
    const result = await sink().write(items([testVote(1), testVote(7)]));
    expect(result).toMatchObject({ failures: [], duplicates: [0], stats: { votesCounted: 1 } });
  });

  it('splits a tally of more votes than a transaction holds', async () => {
    const votes = Array.from({ length: 250 }, (_, n) => testVote(n * 6));
    const result = await sink().write(items(votes));
    expect(result.stats).toMatchObject({ votesCounted: 250, transactions: 3 });
    expect(db.mock.commandCalls(TransactWriteItemsCommand).map((c) => c.args[0].input.TransactItems!.length)).toEqual([100, 100, 53]);
    expect(tallies()).toEqual({ 'poll-0/opt-0': 250 });
  });

  it('checks its options', () => {
    expect(() => sink({ tables: { votes: '', tallies: 't' } })).toThrow(InvalidSinkOptionsError);
    expect(() => sink({ votesPerTransaction: 100 })).toThrow(InvalidSinkOptionsError);
    expect(() => sink({ maxAttempts: 0 })).toThrow(InvalidSinkOptionsError);
  });
});

import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { LedgerEntry } from '../../../../lib/sqs/workers/ledger-entry';
import { LEDGER_TABLE_KEYS, LedgerDynamoDbSink } from '../../../../lib/sinks/dynamodb-ledger';
import { testEntry } from '../batch/sqs-events';
import { cancelled, dynamoDbError, FakeDynamoDb, LEDGER_TABLES } from './fake-dynamodb';

const db = new FakeDynamoDb({ [LEDGER_TABLES.entries]: LEDGER_TABLE_KEYS.entries, [LEDGER_TABLES.accounts]: LEDGER_TABLE_KEYS.accounts });
const client = new DynamoDBClient({ region: 'eu-west-1' });
const sink = (options: Partial<ConstructorParameters<typeof LedgerDynamoDbSink>[0]> = {}) =>
  new LedgerDynamoDbSink({ client, tables: LEDGER_TABLES, sleep: () => Promise.resolve(), ...options });
const items = (entries: readonly LedgerEntry[]) => entries.map((value, ref) => ({ ref, value }));

const account = (id: string) => db.get(LEDGER_TABLES.accounts, { account_id: { S: id } });
/** An account's ledger as `sequence:amount→balance_after`, in sequence order. */
const ledger = (id: string): string[] =>
  db.items(LEDGER_TABLES.entries)
    .filter((e) => e.account_id!.S === id)
    .sort((a, b) => Number(a.sequence!.N) - Number(b.sequence!.N))
    .map((e) => `${e.sequence!.N}:${e.amount!.N}→${e.balance_after!.N}`);
const codes = (result: { failures: readonly { ref: number; kind: string; code: string }[] }) => result.failures.map((f) => [f.ref, f.kind, f.code]);

beforeEach(() => db.install());

describe('LedgerDynamoDbSink', () => {
  it('applies entries in order with an exact running balance', async () => {
    const entries = [testEntry('acct-a', 1, { amount: '0.1' }), testEntry('acct-a', 2, { amount: '0.2' }), testEntry('acct-a', 3, { amount: '-0.30' })];
    const result = await sink().write(items(entries));
    expect(result).toMatchObject({ failures: [], duplicates: [], stats: { entriesApplied: 3, transactions: 3 } });
    expect(ledger('acct-a')).toEqual(['1:0.1→0.1', '2:0.2→0.3', '3:-0.3→0']);
    expect(account('acct-a')).toMatchObject({ last_sequence: { N: '3' }, balance: { N: '0' }, currency: { S: 'EUR' }, last_entry_id: { S: entries[2]!.entry_id } });
  });

  it('keeps balances exact beyond double precision', async () => {
    await sink().write(items([testEntry('acct-a', 1, { amount: '999999999999999999.99999999' }), testEntry('acct-a', 2, { amount: '0.00000001' })]));
    expect(account('acct-a')!.balance).toEqual({ N: '1000000000000000000' });
  });

  it('a redelivered entry is a duplicate and changes nothing', async () => {
    const entries = [testEntry('acct-a', 1), testEntry('acct-a', 2)];
    await sink().write(items(entries));
    const again = await sink().write(items([entries[1]!, entries[0]!, entries[1]!]));
    expect(again).toMatchObject({ failures: [], duplicates: [0, 1, 2], stats: { entriesApplied: 0, duplicates: 3, transactions: 0 } });
    expect(ledger('acct-a')).toEqual(['1:1.1→1.1', '2:2.1→3.2']);
  });

  it('rejects another entry claiming an applied sequence, or the same entry with another amount', async () => {
    await sink().write(items([testEntry('acct-a', 1)]));
    const other = await sink().write(items([testEntry('acct-a', 1, { entry_id: '11111111-0000-4000-8000-000000000001' })]));
    expect(codes(other)).toEqual([[0, 'permanent', 'SequenceConflict']]);
    const changed = await sink().write(items([testEntry('acct-a', 1, { amount: '5' })]));
    expect(codes(changed)).toEqual([[0, 'permanent', 'SequenceConflict']]);
    expect(changed.failures[0]!.message).toContain('different amount');
    expect(ledger('acct-a')).toEqual(['1:1.1→1.1']);
  });

  it('does not apply past a gap, and stops the account there; other accounts go on', async () => {
    const result = await sink().write(items([
      testEntry('acct-a', 1), testEntry('acct-b', 1), testEntry('acct-a', 3), testEntry('acct-b', 2), testEntry('acct-a', 4),
    ]));
    expect(codes(result).sort()).toEqual([[2, 'transient', 'SequenceGap'], [4, 'transient', 'Blocked']]);
    expect(result.failures.find((f) => f.ref === 2)!.message).toContain('waits for entry 2');
    expect(result.stats).toMatchObject({ entriesApplied: 3, gaps: 1 });
    expect(ledger('acct-a')).toEqual(['1:1.1→1.1']);
    expect(ledger('acct-b')).toEqual(['1:1.1→1.1', '2:2.1→3.2']);
  });

  it('rejects an entry in another currency than the account\'s', async () => {
    const result = await sink().write(items([testEntry('acct-a', 1), testEntry('acct-a', 2, { currency: 'USD' }), testEntry('acct-a', 3)]));
    expect(codes(result)).toEqual([[1, 'permanent', 'CurrencyMismatch'], [2, 'transient', 'Blocked']]);
  });

  it('judges an entry anew when the account moved under it (a concurrent writer)', async () => {
    const first = testEntry('acct-a', 1);
    // Another writer applies entry 1 between our read and our transaction.
    db.injectFault((_actions, attempt) => {
      if (attempt !== 1) return undefined;
      db.put(LEDGER_TABLES.entries, { account_id: { S: 'acct-a' }, sequence: { N: '1' }, entry_id: { S: first.entry_id }, amount: { N: '1.1' }, currency: { S: 'EUR' }, balance_after: { N: '1.1' } });
      db.put(LEDGER_TABLES.accounts, { account_id: { S: 'acct-a' }, last_sequence: { N: '1' }, balance: { N: '1.1' }, currency: { S: 'EUR' } });
      return cancelled(['ConditionalCheckFailed', 'ConditionalCheckFailed']);
    });
    const result = await sink().write(items([first, testEntry('acct-a', 2)]));
    expect(result).toMatchObject({ failures: [], duplicates: [0], stats: { entriesApplied: 1, conflicts: 1 } });
    expect(ledger('acct-a')).toEqual(['1:1.1→1.1', '2:2.1→3.2']);
  });

  it('gives up on an account that keeps changing', async () => {
    db.injectFault(() => cancelled(['None', 'ConditionalCheckFailed']));
    const result = await sink({ maxConflictRetries: 2 }).write(items([testEntry('acct-a', 1)]));
    expect(codes(result)).toEqual([[0, 'transient', 'ConcurrentLedgerUpdate']]);
    expect(db.transactionCalls).toBe(3);
  });

  it('retries throttling and conflicts, then reports the entry and the rest of its account transient', async () => {
    db.injectFault((actions) => (actions[0]!.Put!.Item!.sequence!.N === '2' ? (db.transactionCalls % 2 === 0 ? cancelled(['TransactionConflict', 'None']) : dynamoDbError('ThrottlingException')) : undefined));
    const result = await sink({ maxAttempts: 4 }).write(items([testEntry('acct-a', 1), testEntry('acct-a', 2), testEntry('acct-a', 3)]));
    expect(codes(result)).toEqual([[1, 'transient', 'ThrottlingException'], [2, 'transient', 'Blocked']]);
    expect(result.stats).toMatchObject({ entriesApplied: 1, retries: 3 });
    expect(ledger('acct-a')).toEqual(['1:1.1→1.1']);
  });

  it('an account that cannot be read fails its entries transient', async () => {
    db.mock.on(GetItemCommand).rejects(dynamoDbError('InternalServerError', 'server'));
    const result = await sink({ maxAttempts: 2 }).write(items([testEntry('acct-a', 1), testEntry('acct-a', 2)]));
    expect(codes(result)).toEqual([[0, 'transient', 'InternalServerError'], [1, 'transient', 'Blocked']]);
  });

  it('refuses a balance that DynamoDB could not hold exactly', async () => {
    db.put(LEDGER_TABLES.accounts, { account_id: { S: 'acct-a' }, last_sequence: { N: '1' }, balance: { N: '99999999999999999999999999999999999999' }, currency: { S: 'EUR' } });
    const result = await sink().write(items([testEntry('acct-a', 2, { amount: '0.5' })]));
    expect(codes(result)).toEqual([[0, 'permanent', 'BalanceOutOfRange']]);
  });
});

/**
 * Ledger entries into DynamoDB, applied strictly in order per account with a running balance, and
 * exactly once in effect.
 *
 * An account's entries are numbered 1, 2, 3, … by the producer. Entry n is applied only when the
 * account's `last_sequence` is n − 1, in one `TransactWriteItems`: Put the entry (with
 * `balance_after`) under `attribute_not_exists`, and Update the account's `balance` and
 * `last_sequence` on the condition `last_sequence = n − 1`. So:
 * - a redelivered or duplicated entry (n ≤ last_sequence) changes nothing: it is recognised by
 *   the stored entry at its sequence (same `entry_id`, amount and currency) and succeeds as a
 *   duplicate; another entry claiming an applied sequence is rejected (`SequenceConflict`);
 * - an entry whose predecessor was not applied (n > last_sequence + 1) is not applied
 *   (`SequenceGap`, transient): it waits behind the missing entry, which SQS FIFO delivers first,
 *   or which sits in the DLQ until it is fixed and redriven — applying past it would give every
 *   later balance a wrong value;
 * - a concurrent writer (e.g. a redrive running beside the mapping) makes the account's condition
 *   fail: the state is read again and the entry judged anew.
 *
 * Balances are exact: amounts are decimal texts added with BigInt coefficients and stored as
 * DynamoDB numbers (decimal, 38 significant digits); a balance that would need more digits is
 * refused (`BalanceOutOfRange`) rather than rounded.
 *
 * Within one `write`, each account's entries are applied one after the other in the order given;
 * after an entry of an account fails, the account's later entries are not attempted (reported
 * `transient`, code `Blocked`). Accounts are applied in parallel.
 *
 * @example
 * const sink = new LedgerDynamoDbSink({ client: clients.dynamodb(), tables: { entries: 'ledger', accounts: 'accounts' } });
 * const { failures, duplicates } = await sink.write(entries.map((value, ref) => ({ ref, value })));
 */
import type { AttributeValue, DynamoDBClient, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { WorkerSink, WorkerSinkResult } from '../../sqs/batch/message-outcome';
import type { LedgerEntry } from '../../sqs/workers/ledger-entry';
import type { SinkFailure, SinkItem } from '../sink';
import { forEachConcurrently } from '../dynamodb/concurrency';
import type { Decimal } from '../dynamodb/decimal';
import { addDecimals, DYNAMODB_NUMBER_DIGITS, formatDecimal, parseDecimal } from '../dynamodb/decimal';
import { errorMessage, errorName } from '../dynamodb/errors';
import type { RetryPolicy } from '../dynamodb/retry';
import { sendWithRetry } from '../dynamodb/retry';
import type { TransactionalSinkOptions } from '../dynamodb-transactions/sink-options';
import { checkTables, DEFAULT_CONCURRENCY, integerOption, retryPolicyOf } from '../dynamodb-transactions/sink-options';
import { transactWrite } from '../dynamodb-transactions/transact-write';
import type { LedgerTables } from './tables';

export interface LedgerDynamoDbSinkOptions extends TransactionalSinkOptions {
  readonly client: DynamoDBClient;
  readonly tables: LedgerTables;
  /** Times an entry is judged again after the account changed under it (a concurrent writer). Default 3. */
  readonly maxConflictRetries?: number;
}

/** What one call did, for logs and tests. */
export interface LedgerSinkStats {
  entriesApplied: number;
  /** Entries found already applied (redelivered or duplicated). */
  duplicates: number;
  /** Entries not applied because their predecessor is not (yet) applied. */
  gaps: number;
  /** Entries judged again because the account changed while they were being applied. */
  conflicts: number;
  transactions: number;
  retries: number;
}

export interface LedgerSinkResult extends WorkerSinkResult {
  readonly stats: Readonly<LedgerSinkStats>;
}

/** An account as stored: what was applied last and the balance after it. */
interface AccountState {
  readonly lastSequence: number;
  readonly balance: Decimal;
  /** Set by the account's first entry. */
  readonly currency?: string;
}

const NEW_ACCOUNT: AccountState = { lastSequence: 0, balance: { coefficient: 0n, exponent: 0 } };

/** How one entry ended; `state`: the account as last known, when it was applied or read again. */
type EntryOutcome = { readonly kind: 'applied'; readonly state: AccountState } | { readonly kind: 'duplicate'; readonly state: AccountState } | { readonly kind: 'failed'; readonly failure: Omit<SinkFailure, 'ref'>; readonly gap?: boolean };

/** Significant digits of a decimal (trailing zeros of the coefficient do not count). */
function significantDigits(value: Decimal): number {
  const digits = (value.coefficient < 0n ? -value.coefficient : value.coefficient).toString().replace(/0+$/, '');
  return digits.length;
}

const equalDecimals = (a: Decimal, b: Decimal): boolean => formatDecimal(a, Infinity) === formatDecimal(b, Infinity);

export class LedgerDynamoDbSink implements WorkerSink<LedgerEntry> {
  private readonly client: DynamoDBClient;
  private readonly tables: LedgerTables;
  private readonly retry: RetryPolicy;
  private readonly now: () => number;
  private readonly concurrency: number;
  private readonly maxConflictRetries: number;

  /** @throws {InvalidSinkOptionsError} for a missing table name or an option out of range. */
  constructor(options: LedgerDynamoDbSinkOptions) {
    checkTables(options.tables, ['entries', 'accounts']);
    this.client = options.client;
    this.tables = { entries: options.tables.entries, accounts: options.tables.accounts };
    this.retry = retryPolicyOf(options);
    this.now = options.now ?? Date.now;
    this.concurrency = integerOption('concurrency', options.concurrency, DEFAULT_CONCURRENCY, 1);
    this.maxConflictRetries = integerOption('maxConflictRetries', options.maxConflictRetries, 3, 0);
  }

  /** Applies each account's entries in the order given, stopping an account at its first failure. */
  async write(items: readonly SinkItem<LedgerEntry>[]): Promise<LedgerSinkResult> {
    const stats: LedgerSinkStats = { entriesApplied: 0, duplicates: 0, gaps: 0, conflicts: 0, transactions: 0, retries: 0 };
    const failures: SinkFailure[] = [];
    const duplicates: number[] = [];
    const byAccount = new Map<string, SinkItem<LedgerEntry>[]>();
    for (const item of items) {
      const entries = byAccount.get(item.value.account_id);
      if (entries === undefined) byAccount.set(item.value.account_id, [item]);
      else entries.push(item);
    }
    await forEachConcurrently([...byAccount.values()], this.concurrency, async (entries) => {
      let state: AccountState | undefined;
      let failedEntry: string | undefined;
      for (const { ref, value } of entries) {
        if (failedEntry !== undefined) {
          failures.push({ ref, kind: 'transient', code: 'Blocked', message: `not attempted: entry ${failedEntry} of account ${value.account_id} failed before it` });
          continue;
        }
        let outcome: EntryOutcome;
        try {
          state ??= await this.readAccount(value.account_id, stats);
          outcome = await this.applyEntry(value, state, stats);
        } catch (error) {
          outcome = { kind: 'failed', failure: { kind: 'transient', code: errorName(error), message: `account not read: ${errorMessage(error)}` } };
        }
        if (outcome.kind === 'applied') {
          state = outcome.state;
          stats.entriesApplied++;
        } else if (outcome.kind === 'duplicate') {
          state = outcome.state;
          stats.duplicates++;
          duplicates.push(ref);
        } else {
          if (outcome.gap) stats.gaps++;
          failures.push({ ref, ...outcome.failure });
          failedEntry = value.entry_id;
        }
      }
    });
    return { failures, duplicates, stats };
  }

  /** Judges the entry against the account's state and applies it if it is the next one. */
  private async applyEntry(entry: LedgerEntry, known: AccountState, stats: LedgerSinkStats): Promise<EntryOutcome> {
    let state = known;
    for (let conflict = 0; ; conflict++) {
      if (entry.sequence <= state.lastSequence) return this.judgeApplied(entry, state, stats);
      if (entry.sequence > state.lastSequence + 1) {
        return { kind: 'failed', gap: true, failure: { kind: 'transient', code: 'SequenceGap', message: `entry ${entry.sequence} of account ${entry.account_id} waits for entry ${state.lastSequence + 1}` } };
      }
      if (state.currency !== undefined && state.currency !== entry.currency) {
        return { kind: 'failed', failure: { kind: 'permanent', code: 'CurrencyMismatch', message: `account ${entry.account_id} holds ${state.currency}, entry ${entry.entry_id} is in ${entry.currency}` } };
      }
      const balance = addDecimals(state.balance, parseDecimal(entry.amount));
      if (significantDigits(balance) > DYNAMODB_NUMBER_DIGITS) {
        return { kind: 'failed', failure: { kind: 'permanent', code: 'BalanceOutOfRange', message: `the balance after entry ${entry.entry_id} needs more than ${DYNAMODB_NUMBER_DIGITS} digits` } };
      }
      stats.transactions++;
      const outcome = await transactWrite(this.client, this.actions(entry, state, balance), this.retry, () => stats.retries++);
      if (outcome.kind === 'written') return { kind: 'applied', state: { lastSequence: entry.sequence, balance, currency: entry.currency } };
      if (outcome.kind === 'failed') {
        const permanent = !outcome.retriable && outcome.code === 'ValidationException';
        return { kind: 'failed', failure: { kind: permanent ? 'permanent' : 'transient', code: outcome.code, message: `entry not applied: ${outcome.message}` } };
      }
      const faults = outcome.reasons.filter((r) => r.code !== 'None');
      const invalid = faults.find((r) => r.code === 'ValidationError');
      if (invalid !== undefined) return { kind: 'failed', failure: { kind: 'permanent', code: 'ValidationError', message: `entry refused: ${invalid.message ?? 'ValidationError'}` } };
      if (!faults.some((r) => r.code === 'ConditionalCheckFailed')) {
        return { kind: 'failed', failure: { kind: 'transient', code: faults[0]?.code ?? 'TransactionCanceledException', message: `entry not applied: ${faults[0]?.message ?? 'transaction cancelled'}` } };
      }
      // The account moved under us (or the entry is there already): read it again and judge anew.
      stats.conflicts++;
      if (conflict >= this.maxConflictRetries) {
        return { kind: 'failed', failure: { kind: 'transient', code: 'ConcurrentLedgerUpdate', message: `account ${entry.account_id} kept changing while entry ${entry.sequence} was applied` } };
      }
      state = await this.readAccount(entry.account_id, stats);
    }
  }

  /** An entry at or below the last applied sequence: a duplicate if the stored entry is this one, else a conflict. */
  private async judgeApplied(entry: LedgerEntry, state: AccountState, stats: LedgerSinkStats): Promise<EntryOutcome> {
    const { Item: stored } = await sendWithRetry(() => this.client.send(new GetItemCommand({
      TableName: this.tables.entries,
      Key: { account_id: { S: entry.account_id }, sequence: { N: String(entry.sequence) } },
      ConsistentRead: true,
    })), this.retry, () => stats.retries++);
    if (
      stored?.entry_id?.S === entry.entry_id &&
      stored.currency?.S === entry.currency &&
      stored.amount?.N !== undefined &&
      equalDecimals(parseDecimal(stored.amount.N), parseDecimal(entry.amount))
    ) {
      return { kind: 'duplicate', state };
    }
    const holder = stored?.entry_id?.S;
    return {
      kind: 'failed',
      failure: {
        kind: 'permanent',
        code: 'SequenceConflict',
        message: holder === entry.entry_id
          ? `entry ${entry.entry_id} was applied with a different amount or currency`
          : `sequence ${entry.sequence} of account ${entry.account_id} is already taken by ${holder === undefined ? 'another entry' : `entry ${holder}`}`,
      },
    };
  }

  private async readAccount(accountId: string, stats: LedgerSinkStats): Promise<AccountState> {
    const { Item: item } = await sendWithRetry(() => this.client.send(new GetItemCommand({
      TableName: this.tables.accounts, Key: { account_id: { S: accountId } }, ConsistentRead: true,
    })), this.retry, () => stats.retries++);
    if (item === undefined) return NEW_ACCOUNT;
    return {
      lastSequence: Number(item.last_sequence?.N ?? 0),
      balance: parseDecimal(item.balance?.N ?? '0'),
      ...(item.currency?.S === undefined ? {} : { currency: item.currency.S }),
    };
  }

  private actions(entry: LedgerEntry, state: AccountState, balance: Decimal): TransactWriteItem[] {
    const appliedAt = new Date(this.now()).toISOString();
    const balanceText = formatDecimal(balance, Infinity);
    return [
      { Put: { TableName: this.tables.entries, Item: entryItem(entry, balanceText, appliedAt), ConditionExpression: 'attribute_not_exists(account_id)' } },
      {
        Update: {
          TableName: this.tables.accounts,
          Key: { account_id: { S: entry.account_id } },
          UpdateExpression: 'SET #balance = :balance, #last = :seq, #currency = :currency, #entry = :entry, #updated = :now',
          ConditionExpression: state.lastSequence === 0 ? 'attribute_not_exists(account_id)' : '#last = :prev',
          ExpressionAttributeNames: { '#balance': 'balance', '#last': 'last_sequence', '#currency': 'currency', '#entry': 'last_entry_id', '#updated': 'updated_at' },
          ExpressionAttributeValues: {
            ':balance': { N: balanceText },
            ':seq': { N: String(entry.sequence) },
            ':currency': { S: entry.currency },
            ':entry': { S: entry.entry_id },
            ':now': { S: appliedAt },
            ...(state.lastSequence === 0 ? {} : { ':prev': { N: String(state.lastSequence) } }),
          },
        },
      },
    ];
  }
}

/** The entries table's item for an applied entry. */
export function entryItem(entry: LedgerEntry, balanceAfter: string, appliedAt: string): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    account_id: { S: entry.account_id },
    sequence: { N: String(entry.sequence) },
    entry_id: { S: entry.entry_id },
    // Canonical text (`-0` → `0`, `1.50` → `1.5`): what DynamoDB would store anyway.
    amount: { N: formatDecimal(parseDecimal(entry.amount), Infinity) },
    currency: { S: entry.currency },
    booked_at: { S: entry.booked_at },
    balance_after: { N: balanceAfter },
    applied_at: { S: appliedAt },
  };
  if (entry.description !== undefined) item.description = { S: entry.description };
  return item;
}

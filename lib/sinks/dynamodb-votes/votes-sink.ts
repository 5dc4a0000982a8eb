/**
 * Votes into DynamoDB, each counted exactly once in effect from an at-least-once queue.
 *
 * A vote's record (votes table) and its tally increment (tallies table) are written in one
 * `TransactWriteItems`: Put the vote with `attribute_not_exists(vote_id)`, Update the tally with
 * `ADD votes :n`. Either both happen or neither, so the vote item is the proof that the vote was
 * counted: a redelivered or duplicated vote fails its condition, the transaction is cancelled with
 * `ConditionalCheckFailed` for that vote, and nothing is counted twice.
 *
 * Why not Powertools Idempotency: its record (in its own table) and the effect are separate
 * writes. A crash or timeout after the tally `ADD` and before the record is marked COMPLETED
 * leaves an INPROGRESS record that expires, and the redelivered vote is added again — `ADD` is not
 * idempotent. The conditional Put inside the same transaction makes the marker and the effect
 * atomic, with no extra table and no TTL window to reason about.
 *
 * Votes of one batch for the same poll option share a transaction (up to 99 votes and the tally
 * update, `ADD votes :n`): a popular option's tally item is then written once per batch rather
 * than once per vote, which is what keeps a hot tally from being a bottleneck (concurrent
 * transactions on one item cancel each other with `TransactionConflict`). When some votes of a
 * shared transaction fail their condition, they are duplicates: they are taken out and the
 * transaction is sent again with the others.
 *
 * @example
 * const sink = new VotesDynamoDbSink({ client: clients.dynamodb(), tables: { votes: 'votes', tallies: 'vote-tallies' } });
 * const { failures, duplicates } = await sink.write(votes.map((value, ref) => ({ ref, value })));
 */
import type { AttributeValue, DynamoDBClient, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { SinkFailure, SinkItem } from '../sink';
import type { Vote } from '../../sqs/workers/vote';
import type { WorkerSink, WorkerSinkResult } from '../../sqs/batch/message-outcome';
import { forEachConcurrently } from '../dynamodb/concurrency';
import { errorMessage, errorName } from '../dynamodb/errors';
import type { RetryPolicy } from '../dynamodb/retry';
import { sendWithRetry } from '../dynamodb/retry';
import type { TransactionalSinkOptions } from '../dynamodb-transactions/sink-options';
import { checkTables, DEFAULT_CONCURRENCY, integerOption, retryPolicyOf } from '../dynamodb-transactions/sink-options';
import { MAX_TRANSACTION_ACTIONS, transactWrite } from '../dynamodb-transactions/transact-write';
import type { VoteTables } from './tables';

export interface VotesDynamoDbSinkOptions extends TransactionalSinkOptions {
  readonly client: DynamoDBClient;
  readonly tables: VoteTables;
  /** Votes per transaction (with the tally update: at most 99). Default 99. */
  readonly votesPerTransaction?: number;
}

/** What one call did, for logs and tests. */
export interface VotesSinkStats {
  /** Votes counted by this call. */
  votesCounted: number;
  /** Votes already counted before (a redelivery, a duplicate message, or a repeat within the batch). */
  duplicates: number;
  /** Messages reusing a counted vote's id for a different vote: rejected (poison), the first one stands. */
  conflictingDuplicates: number;
  transactions: number;
  /** Attempts retried for throttling, a conflict or a 5xx. */
  retries: number;
}

export interface VotesSinkResult extends WorkerSinkResult {
  readonly stats: Readonly<VotesSinkStats>;
}

/** The fields that make a vote what it is: a message repeating a vote id must repeat them. */
const IDENTITY: readonly (keyof Vote)[] = ['poll_id', 'option', 'voter_id', 'cast_at'];

/** Messages of the batch carrying the same vote (same id and identity fields). */
interface SameVote {
  readonly vote: Vote;
  readonly refs: number[];
}

/**
 * A vote id of the batch: the first vote seen with it (the one written if the id is new) and the
 * other votes that reuse the id with different content, judged once the store has answered.
 */
interface BatchVote extends SameVote {
  readonly variants: SameVote[];
}

/** Where the outcome of each ref goes. */
interface Outcomes {
  readonly stats: VotesSinkStats;
  readonly failures: SinkFailure[];
  readonly duplicates: number[];
}

const sameVote = (a: Vote, b: Vote): boolean => IDENTITY.every((field) => a[field] === b[field]);
const storedIs = (a: Vote, stored: Record<string, AttributeValue>): boolean => IDENTITY.every((field) => stored[field]?.S === a[field]);

function conflicting(out: Outcomes, { refs, vote }: SameVote): void {
  out.stats.conflictingDuplicates += refs.length;
  for (const ref of refs) out.failures.push({ ref, kind: 'permanent', code: 'ConflictingDuplicate', message: `vote ${vote.vote_id} is already recorded with different content; the first one stands` });
}

function duplicate(out: Outcomes, { refs }: SameVote): void {
  out.stats.duplicates += refs.length;
  out.duplicates.push(...refs);
}

export class VotesDynamoDbSink implements WorkerSink<Vote> {
  private readonly client: DynamoDBClient;
  private readonly tables: VoteTables;
  private readonly retry: RetryPolicy;
  private readonly now: () => number;
  private readonly concurrency: number;
  private readonly votesPerTransaction: number;

  /** @throws {InvalidSinkOptionsError} for a missing table name or an option out of range. */
  constructor(options: VotesDynamoDbSinkOptions) {
    checkTables(options.tables, ['votes', 'tallies']);
    this.client = options.client;
    this.tables = { votes: options.tables.votes, tallies: options.tables.tallies };
    this.retry = retryPolicyOf(options);
    this.now = options.now ?? Date.now;
    this.concurrency = integerOption('concurrency', options.concurrency, DEFAULT_CONCURRENCY, 1);
    this.votesPerTransaction = integerOption('votesPerTransaction', options.votesPerTransaction, MAX_TRANSACTION_ACTIONS - 1, 1, MAX_TRANSACTION_ACTIONS - 1);
  }

  /**
   * Counts each vote once and answers per ref: a duplicate (already counted, or repeated in the
   * batch) succeeds without counting; a vote id reused for a different vote is `permanent`
   * (`ConflictingDuplicate`) — whichever vote was recorded first stands, even when the reuse
   * comes first in the batch; a vote still throttled or conflicting after the retries is
   * `transient` — nothing of it was written, so its redelivery counts it then.
   */
  async write(items: readonly SinkItem<Vote>[]): Promise<VotesSinkResult> {
    const out: Outcomes = { stats: { votesCounted: 0, duplicates: 0, conflictingDuplicates: 0, transactions: 0, retries: 0 }, failures: [], duplicates: [] };
    const distinct = new Map<string, BatchVote>();
    for (const { ref, value } of items) {
      const seen = distinct.get(value.vote_id);
      if (seen === undefined) {
        distinct.set(value.vote_id, { vote: value, refs: [ref], variants: [] });
      } else if (sameVote(seen.vote, value)) {
        seen.refs.push(ref);
      } else {
        const variant = seen.variants.find((v) => sameVote(v.vote, value));
        if (variant === undefined) seen.variants.push({ vote: value, refs: [ref] });
        else variant.refs.push(ref);
      }
    }

    // One unit per tally: its chunks run one after the other (they would only conflict on the
    // tally item), different tallies in parallel.
    const byTally = new Map<string, BatchVote[]>();
    for (const batchVote of distinct.values()) {
      const key = `${batchVote.vote.poll_id}\u0000${batchVote.vote.option}`;
      const votes = byTally.get(key);
      if (votes === undefined) byTally.set(key, [batchVote]);
      else votes.push(batchVote);
    }
    const recordedAt = new Date(this.now()).toISOString();
    await forEachConcurrently([...byTally.values()], this.concurrency, async (votes) => {
      for (let i = 0; i < votes.length; i += this.votesPerTransaction) {
        await this.countChunk(votes.slice(i, i + this.votesPerTransaction), recordedAt, out);
      }
    });
    return { failures: out.failures, duplicates: out.duplicates, stats: out.stats };
  }

  /** Counts the votes of one tally in one transaction, taking duplicates out until it goes through. */
  private async countChunk(chunk: readonly BatchVote[], recordedAt: string, out: Outcomes): Promise<void> {
    const failAll = (votes: readonly BatchVote[], kind: SinkFailure['kind'], code: string, message: string): void => {
      for (const { refs, variants } of votes) {
        for (const ref of refs) out.failures.push({ ref, kind, code, message });
        // Which of the id's votes stands is not known yet: judged when they come again.
        for (const variant of variants) for (const ref of variant.refs) out.failures.push({ ref, kind: 'transient', code: 'Deferred', message: `vote ${variant.vote.vote_id} not judged: ${message}` });
      }
    };
    let pending = chunk;
    while (pending.length > 0) {
      out.stats.transactions++;
      const outcome = await transactWrite(this.client, this.actions(pending, recordedAt), this.retry, () => out.stats.retries++);
      if (outcome.kind === 'written') {
        for (const batchVote of pending) {
          out.stats.votesCounted++;
          duplicate(out, { vote: batchVote.vote, refs: batchVote.refs.slice(1) });
          for (const variant of batchVote.variants) conflicting(out, variant);
        }
        return;
      }
      if (outcome.kind === 'failed') {
        const permanent = !outcome.retriable && outcome.code === 'ValidationException';
        failAll(pending, permanent ? 'permanent' : 'transient', outcome.code, `vote not counted: ${outcome.message}`);
        return;
      }
      const { reasons } = outcome;
      const tally = reasons[pending.length];
      if (tally?.code === 'ValidationError') {
        failAll(pending, 'permanent', 'ValidationError', `tally update refused: ${tally.message ?? 'ValidationError'}`);
        return;
      }
      const remaining: BatchVote[] = [];
      for (const [i, batchVote] of pending.entries()) {
        const reason = reasons[i];
        if (reason?.code === 'ConditionalCheckFailed') {
          await this.settleRecorded(batchVote, reason.item, out);
        } else if (reason?.code === 'ValidationError') {
          failAll([batchVote], 'permanent', 'ValidationError', `vote refused: ${reason.message ?? 'ValidationError'}`);
        } else {
          remaining.push(batchVote);
        }
      }
      if (remaining.length === pending.length) {
        // Cancelled, but not for anything about these votes (e.g. ItemCollectionSizeLimitExceeded on the tally).
        const fault = reasons.find((r) => r.code !== 'None');
        failAll(pending, 'transient', fault?.code ?? 'TransactionCanceledException', `vote not counted: ${fault?.message ?? 'transaction cancelled'}`);
        return;
      }
      pending = remaining;
    }
  }

  /**
   * A vote id already recorded: the messages repeating the recorded vote are duplicates, the
   * others reuse its id for another vote (rejected). The recorded item comes with the cancellation
   * (`ALL_OLD`); if not, it is read.
   */
  private async settleRecorded(batchVote: BatchVote, returned: Record<string, AttributeValue> | undefined, out: Outcomes): Promise<void> {
    let stored = returned;
    if (stored === undefined) {
      try {
        const got = await sendWithRetry(() => this.client.send(new GetItemCommand({
          TableName: this.tables.votes, Key: { vote_id: { S: batchVote.vote.vote_id } }, ConsistentRead: true,
        })), this.retry, () => out.stats.retries++);
        stored = got.Item;
      } catch (error) {
        for (const { refs } of [batchVote, ...batchVote.variants]) {
          for (const ref of refs) out.failures.push({ ref, kind: 'transient', code: errorName(error), message: `recorded vote not read: ${errorMessage(error)}` });
        }
        return;
      }
    }
    for (const same of [batchVote, ...batchVote.variants]) {
      // No item (deleted since the condition failed): nothing to compare with, take it as recorded.
      if (stored === undefined ? same === batchVote : storedIs(same.vote, stored)) duplicate(out, same);
      else conflicting(out, same);
    }
  }

  private actions(votes: readonly BatchVote[], recordedAt: string): TransactWriteItem[] {
    const { poll_id, option } = votes[0]!.vote;
    const actions: TransactWriteItem[] = votes.map(({ vote }) => ({
      Put: {
        TableName: this.tables.votes,
        Item: voteItem(vote, recordedAt),
        ConditionExpression: 'attribute_not_exists(vote_id)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    }));
    actions.push({
      Update: {
        TableName: this.tables.tallies,
        Key: { poll_id: { S: poll_id }, option: { S: option } },
        UpdateExpression: 'ADD #votes :n SET #updated = :now',
        ExpressionAttributeNames: { '#votes': 'votes', '#updated': 'updated_at' },
        ExpressionAttributeValues: { ':n': { N: String(votes.length) }, ':now': { S: recordedAt } },
      },
    });
    return actions;
  }
}

/** The votes table's item for a vote. */
export function voteItem(vote: Vote, recordedAt: string): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    vote_id: { S: vote.vote_id },
    poll_id: { S: vote.poll_id },
    option: { S: vote.option },
    voter_id: { S: vote.voter_id },
    cast_at: { S: vote.cast_at },
    recorded_at: { S: recordedAt },
  };
  if (vote.channel !== undefined) item.channel = { S: vote.channel };
  return item;
}

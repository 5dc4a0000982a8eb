/**
 * A mocked KinesisClient whose PutRecords routes entries to shards by hash key (as Kinesis does)
 * and records every request, with per-call hooks to fail entries or hold responses.
 */
import { KinesisClient, ListShardsCommand, PutRecordsCommand, type PutRecordsCommandInput, type PutRecordsResultEntry, type Shard } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { effectiveHashKey } from '../../../../lib/kinesis/hash-key';
import type { ShardRange } from '../../../../lib/kinesis/shard-map';
import { evenShardRanges } from '../../../../lib/kinesis/throughput-model';

export interface SentEntry {
  readonly data: Buffer;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
}

/** What a hook answers for one entry: write it, or fail it with a code. */
export type EntryOutcome = 'ok' | { readonly errorCode: string; readonly errorMessage?: string };

export const toShard = (range: ShardRange, closed = false): Shard => ({
  ShardId: range.shardId,
  HashKeyRange: { StartingHashKey: range.startingHashKey.toString(), EndingHashKey: range.endingHashKey.toString() },
  SequenceNumberRange: { StartingSequenceNumber: '1', ...(closed ? { EndingSequenceNumber: '99' } : {}) },
});

export class FakeKinesis {
  readonly client = new KinesisClient({ region: 'eu-west-1' });
  readonly mock = mockClient(this.client);
  /** Every PutRecords request, entries in order. */
  readonly requests: SentEntry[][] = [];
  /** Ranges Kinesis routes by (may differ from what ListShards reported, to simulate a reshard). */
  routing: ShardRange[];
  /** Ranges ListShards reports. */
  listed: ShardRange[];
  /** Decides each entry of request `call` (0-based); default: write it. */
  outcome: (entry: SentEntry, call: number, index: number) => EntryOutcome = () => 'ok';
  /** Throws instead of answering request `call` when it returns an error. */
  requestError: (call: number) => Error | undefined = () => undefined;
  /** Holds the response of request `call` until the returned promise resolves. */
  hold: (call: number) => Promise<void> | undefined = () => undefined;
  listShardsCalls = 0;
  inFlight = 0;
  maxInFlight = 0;

  constructor(shards = 4) {
    this.routing = evenShardRanges(shards);
    this.listed = this.routing;
    this.mock.on(ListShardsCommand).callsFake(() => {
      this.listShardsCalls++;
      return Promise.resolve({ Shards: this.listed.map((r) => toShard(r)) });
    });
    this.mock.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => this.putRecords(input));
  }

  shardOf(entry: SentEntry): ShardRange {
    const hashKey = effectiveHashKey(entry.partitionKey, entry.explicitHashKey);
    return this.routing.find((r) => hashKey >= r.startingHashKey && hashKey <= r.endingHashKey)!;
  }

  private async putRecords(input: PutRecordsCommandInput): Promise<{ FailedRecordCount: number; Records: PutRecordsResultEntry[] }> {
    const call = this.requests.length;
    const entries = (input.Records ?? []).map((r) => ({ data: Buffer.from(r.Data!), partitionKey: r.PartitionKey!, explicitHashKey: r.ExplicitHashKey }));
    this.requests.push(entries);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const held = this.hold(call);
      if (held) await held;
      const error = this.requestError(call);
      if (error) throw error;
      let failed = 0;
      const records = entries.map((entry, index): PutRecordsResultEntry => {
        const outcome = this.outcome(entry, call, index);
        if (outcome !== 'ok') {
          failed++;
          return { ErrorCode: outcome.errorCode, ErrorMessage: outcome.errorMessage ?? `${outcome.errorCode} (fake)` };
        }
        return { ShardId: this.shardOf(entry).shardId, SequenceNumber: `${call}-${index}` };
      });
      return { FailedRecordCount: failed, Records: records };
    } finally {
      this.inFlight--;
    }
  }
}

/** A clock whose one timer fires only when the test says so. */
export class ManualClock {
  time = 0;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private nextHandle = 1;

  now = (): number => this.time;
  setTimeout = (callback: () => void, ms: number): unknown => {
    const handle = this.nextHandle++;
    this.timers.set(handle, { at: this.time + ms, callback });
    return handle;
  };
  clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward and fires the timers due. */
  advance(ms: number): void {
    this.time += ms;
    for (const [handle, timer] of [...this.timers]) {
      if (timer.at <= this.time) {
        this.timers.delete(handle);
        timer.callback();
      }
    }
  }
}

/** Lets every pending promise callback run. */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

export const noSleep = (): Promise<void> => Promise.resolve();

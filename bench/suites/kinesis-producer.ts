/**
 * The Kinesis producer, two ways:
 *
 * 1. Codec speed on 100-byte user records: aggregating into 51,200-byte KPL aggregates and
 *    de-aggregating them, in user records/s, against aws-kinesis-agg 4.2.8 on the same groups in
 *    the same run (the baseline). De-aggregation starts from base64, as in a Lambda event, because
 *    that is the input aws-kinesis-agg takes.
 * 2. Effective payload throughput per shard: the real `KinesisProducer` pushing 100-byte records
 *    as fast as the shard throughput model admits (1 MiB/s and 1,000 records/s per shard), over
 *    simulated time (12 s, the first 2 s left out as warm-up). Payload = user data bytes written
 *    per second per shard, as a fraction of the model's byte limit. The goal: ≥ 90 % with
 *    aggregation; plain records are capped near 10 % by the 1,000 records/s limit.
 */
import { KinesisClient, ListShardsCommand, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { RecordAggregator, deaggregateSync } from 'aws-kinesis-agg';
import { mockClient } from 'aws-sdk-client-mock';
import { AggregateBuilder, deaggregate, type UserRecordInput } from '../../lib/kinesis/aggregation';
import { KinesisProducer, type KinesisProducerOptions, type ProducerReport } from '../../lib/kinesis/producer';
import { ShardThroughputModel, evenShardRanges, putRecordsAgainstModel } from '../../lib/kinesis/throughput-model';
import type { BenchResult } from '../harness';
import { result, timeAgainst } from '../harness';

const RECORD_BYTES = 100;
const AGGREGATE_BYTES = 51_200;
const CODEC_RECORDS = 50_000;

function userRecords(count: number): UserRecordInput[] {
  return Array.from({ length: count }, (_, i) => {
    const data = Buffer.alloc(RECORD_BYTES, 0x61 + (i % 26));
    data.write(`{"seq":${i}}`);
    return { partitionKey: `sensor-${String(i % 500).padStart(4, '0')}`, data };
  });
}

/** Consecutive groups that each fit one aggregate of at most `AGGREGATE_BYTES`. */
function groupsOf(records: readonly UserRecordInput[]): UserRecordInput[][] {
  const groups: UserRecordInput[][] = [];
  let builder = new AggregateBuilder();
  let group: UserRecordInput[] = [];
  for (const record of records) {
    if (group.length > 0 && builder.sizeWith(record) > AGGREGATE_BYTES) {
      groups.push(group);
      builder = new AggregateBuilder();
      group = [];
    }
    builder.add(record);
    group.push(record);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

async function codecResults(): Promise<BenchResult[]> {
  const records = userRecords(CODEC_RECORDS);
  const groups = groupsOf(records);
  let sink = 0;

  // Ours: the producer's own path, size check before each add, then build.
  const ours = (): void => {
    const builder = new AggregateBuilder();
    for (const group of groups) {
      for (const record of group) {
        if (builder.sizeWith(record) > AGGREGATE_BYTES) throw new Error('group overflow');
        builder.add(record);
      }
      sink += builder.build().length;
      builder.reset();
    }
  };
  // aws-kinesis-agg: addUserRecord (which size-checks against its 1 MiB limit), then build.
  const theirs = (): void => {
    for (const group of groups) {
      const aggregator = new RecordAggregator();
      for (const record of group) aggregator.addUserRecord({ partitionKey: record.partitionKey, data: record.data as Buffer });
      sink += aggregator.build()?.data.length ?? 0;
    }
  };
  const aggregated = await timeAgainst(ours, theirs, { warmup: 3, runs: 15 });

  const encoded = groups.map((group) => {
    const builder = new AggregateBuilder();
    for (const record of group) builder.add(record);
    return { partitionKey: group[0]!.partitionKey, base64: builder.build().toString('base64') };
  });
  const oursDeagg = (): void => {
    for (const record of encoded) sink += deaggregate(Buffer.from(record.base64, 'base64'), record).length;
  };
  const theirsDeagg = (): void => {
    for (const record of encoded) {
      deaggregateSync({ partitionKey: record.partitionKey, sequenceNumber: '1', data: record.base64 }, true, (error, users) => {
        if (error) throw error;
        sink += users?.length ?? 0;
      });
    }
  };
  const deaggregated = await timeAgainst(oursDeagg, theirsDeagg, { warmup: 3, runs: 15 });
  if (sink === 0) throw new Error('nothing measured');

  const rate = (ms: number): number => CODEC_RECORDS / (ms / 1000);
  console.error(`  kinesis-producer: ${CODEC_RECORDS} user records of ${RECORD_BYTES} B in ${groups.length} aggregates of ≤ ${AGGREGATE_BYTES} B`);
  return [
    result('kinesis-producer: aggregate 100 B user records vs aws-kinesis-agg (median)', rate(aggregated.subject.medianMs), 'records/s', rate(aggregated.baseline.medianMs)),
    result('kinesis-producer: de-aggregate 100 B user records vs aws-kinesis-agg (median)', rate(deaggregated.subject.medianMs), 'records/s', rate(deaggregated.baseline.medianMs)),
  ];
}

/**
 * Simulated time for the producer and the model: sleeps and timers are events on a queue, and
 * the clock jumps to the next event once every promise continuation has run.
 */
class SimulatedTime {
  now = 0;
  private readonly events: { at: number; seq: number; run: () => void }[] = [];
  private seq = 0;
  private readonly cancelled = new Set<number>();

  schedule(ms: number, run: () => void): number {
    const event = { at: this.now + Math.max(0, ms), seq: this.seq++, run };
    // Kept sorted by (at, seq); inserts are few per simulated millisecond.
    let i = this.events.length;
    while (i > 0 && (this.events[i - 1]!.at > event.at || (this.events[i - 1]!.at === event.at && this.events[i - 1]!.seq > event.seq))) i--;
    this.events.splice(i, 0, event);
    return event.seq;
  }

  sleep = (ms: number): Promise<void> => new Promise((resolve) => this.schedule(ms, resolve));

  clock = {
    now: (): number => this.now,
    setTimeout: (callback: () => void, ms: number): unknown => this.schedule(ms, callback),
    clearTimeout: (handle: unknown): void => void this.cancelled.add(handle as number),
  };

  /** Runs events in time order until `untilMs`, letting all pending continuations run between them. */
  async run(untilMs: number, at: (now: number) => void): Promise<void> {
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const event = this.events[0];
      if (!event || event.at > untilMs) return;
      this.events.shift();
      if (this.cancelled.delete(event.seq)) continue;
      this.now = event.at;
      at(this.now);
      event.run();
    }
  }
}

interface ThroughputRun {
  /** User payload bytes per second per shard over the measured window. */
  readonly payloadPerShard: number;
  /** Kinesis bytes (data + partition keys, what the limit counts) per second per shard. */
  readonly kinesisPerShard: number;
  readonly report: ProducerReport;
}

const SHARDS = 4;
const WARMUP_MS = 2_000;
const MEASURED_MS = 10_000;
const REQUEST_LATENCY_MS = 25;

export async function simulateThroughput(aggregate: boolean, overrides: Partial<KinesisProducerOptions> = {}): Promise<ThroughputRun> {
  const time = new SimulatedTime();
  const model = new ShardThroughputModel({ now: () => time.now });
  const shards = evenShardRanges(SHARDS);
  const client = new KinesisClient({ region: 'eu-west-1' });
  const mock = mockClient(client);
  mock.on(ListShardsCommand).resolves({
    Shards: shards.map((s) => ({ ShardId: s.shardId, HashKeyRange: { StartingHashKey: s.startingHashKey.toString(), EndingHashKey: s.endingHashKey.toString() }, SequenceNumberRange: { StartingSequenceNumber: '1' } })),
  });
  const sequence = new Map<string, number>();
  // A request takes REQUEST_LATENCY_MS; the model judges it when it arrives at the shard.
  mock.on(PutRecordsCommand).callsFake(async (input: PutRecordsCommandInput) => {
    await time.sleep(REQUEST_LATENCY_MS / 2);
    const output = putRecordsAgainstModel(model, shards, input, sequence);
    await time.sleep(REQUEST_LATENCY_MS / 2);
    return output;
  });
  const producer = new KinesisProducer({ client, streamName: 'bench', aggregate, clock: time.clock, sleep: time.sleep, maxAttempts: 1_000_000, ...overrides });

  const records = userRecords(10_000);
  let stop = false;
  const pushing = (async () => {
    for (let i = 0; !stop; i++) {
      const record = records[i % records.length]!;
      await producer.put(record.data, { partitionKey: record.partitionKey });
    }
  })();
  let atWarmup: ProducerReport | undefined;
  let atEnd: ProducerReport | undefined;
  await time.run(WARMUP_MS + MEASURED_MS, (now) => {
    if (!atWarmup && now >= WARMUP_MS) atWarmup = producer.snapshot();
  });
  atEnd = producer.snapshot();
  stop = true;
  // Let the pushing loop and the producer wind down (events past the window still run).
  const closing = producer.close();
  await time.run(Number.POSITIVE_INFINITY, () => undefined);
  await Promise.all([pushing, closing]);
  atEnd ??= producer.snapshot();
  const perShard = (bytes: number): number => bytes / (MEASURED_MS / 1000) / SHARDS;
  return {
    payloadPerShard: perShard(atEnd.userBytesWritten - (atWarmup?.userBytesWritten ?? 0)),
    kinesisPerShard: perShard(atEnd.kinesisBytesWritten - (atWarmup?.kinesisBytesWritten ?? 0)),
    report: atEnd,
  };
}

async function throughputResults(): Promise<BenchResult[]> {
  const limit = new ShardThroughputModel().limits.bytesPerSecond;
  const aggregated = await simulateThroughput(true);
  const plain = await simulateThroughput(false);
  for (const [name, run] of [['aggregated', aggregated], ['plain', plain]] as const) {
    const r = run.report;
    console.error(`  kinesis-producer (${name}): ${r.userRecordsWritten} user records in ${r.kinesisRecordsWritten} Kinesis records, ${r.requests} requests, ${r.throttledEntries} throttled entries, ${Math.round(run.payloadPerShard)} B/s of payload per shard`);
  }
  // AWS writes the limit as "1 MB/s" in some pages and "1 MiB per second" in the PutRecords
  // reference; the model admits 1 MiB. Payload is also given as a fraction of 10^6 B/s.
  return [
    result('kinesis-producer: payload per shard, aggregated, 100 B records (fraction of 1 MiB/s)', aggregated.payloadPerShard / limit, 'fraction', plain.payloadPerShard / limit),
    result('kinesis-producer: payload per shard, not aggregated, 100 B records (fraction of 1 MiB/s)', plain.payloadPerShard / limit, 'fraction'),
    result('kinesis-producer: payload per shard, aggregated (fraction of 10^6 B/s)', aggregated.payloadPerShard / 1e6, 'fraction', plain.payloadPerShard / 1e6),
    result('kinesis-producer: shard byte limit used, aggregated (Kinesis bytes / limit)', aggregated.kinesisPerShard / limit, 'fraction'),
    result('kinesis-producer: payload share of aggregated Kinesis bytes (format overhead)', aggregated.payloadPerShard / aggregated.kinesisPerShard, 'fraction'),
  ];
}

export async function kinesisProducerSuite(): Promise<BenchResult[]> {
  return [...(await codecResults()), ...(await throughputResults())];
}

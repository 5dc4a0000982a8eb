/**
 * The local Kinesis event source mapping's remaining behaviours against kinesalite (fauxqs for the
 * on-failure queue): LATEST, the batching window, record age, parallelization lanes, resharding,
 * unbounded retries ended by stop(), the exact event shape and the 6 MB payload limit.
 */
import {
  CreateStreamCommand, DescribeStreamSummaryCommand, MergeShardsCommand, PutRecordCommand, PutRecordsCommand, SplitShardCommand,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import type { PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { KinesisMappingConfig } from '../../../lib/local/esm/kinesis-event-source';
import { KinesisEventSource, MAX_INVOCATION_PAYLOAD_BYTES } from '../../../lib/local/esm/kinesis-event-source';
import { useEmulators } from '../../support/emulators';

const emulators = useEmulators({ services: ['kinesis', 'sqs', 's3'] });

const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:000000000000:function:consumer';
let streamCount = 0;

type StreamRef = Pick<KinesisMappingConfig, 'streamName' | 'streamArn'>;

/** A fresh, empty, ACTIVE stream with `shards` shards, and its ARN as kinesalite gives it. */
async function newStream(shards = 1): Promise<StreamRef> {
  const streamName = `esm-behaviour-${++streamCount}`;
  const kinesis = emulators().clients.kinesis();
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards }));
  await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30 }, { StreamName: streamName });
  const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
  return { streamName, streamArn: StreamDescriptionSummary!.StreamARN! };
}

/** Puts `key:…` records in one call (partition key before the colon); returns where each went. */
async function put(stream: StreamRef, records: readonly string[]): Promise<PutRecordsResultEntry[]> {
  const out = await emulators().clients.kinesis().send(new PutRecordsCommand({
    StreamName: stream.streamName,
    Records: records.map((data) => ({ Data: Buffer.from(data), PartitionKey: data.split(':')[0]! })),
  }));
  expect(out.FailedRecordCount).toBe(0);
  return out.Records!;
}

async function onFailureQueue(): Promise<{ queueUrl: string; queueArn: string }> {
  const sqs = emulators().clients.sqs();
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `esm-behaviour-failures-${++streamCount}` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { queueUrl: QueueUrl!, queueArn: Attributes!.QueueArn! };
}

interface OnFailureMessage {
  requestContext: { condition: string; functionArn: string; approximateInvokeCount: number };
  KinesisBatchInfo: { shardId: string; startSequenceNumber: string; endSequenceNumber: string; batchSize: number; streamArn: string };
}

async function failureMessages(queueUrl: string): Promise<OnFailureMessage[]> {
  const { Messages } = await emulators().clients.sqs().send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
  return (Messages ?? []).map((m) => JSON.parse(m.Body!) as OnFailureMessage);
}

const payloads = (event: KinesisStreamEvent): string[] => event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString());
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `condition` holds; fails the test after `timeoutMs` instead of hanging. */
async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** `promise`, or a rejection if it has not settled within `ms` (so a hang fails the test). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Per partition key, the numbers after the colon in the order seen are ascending. */
function expectOrderPerKey(seen: readonly string[]): void {
  const byKey = new Map<string, number[]>();
  for (const record of seen) {
    const [key, n] = record.split(':');
    byKey.set(key!, [...(byKey.get(key!) ?? []), Number(n)]);
  }
  for (const [key, numbers] of byKey) expect({ key, numbers }).toEqual({ key, numbers: [...numbers].sort((a, b) => a - b) });
}

describe('startingPosition LATEST', () => {
  it('skips what was put before the first poll, on every shard, and delivers what comes after', async () => {
    const stream = await newStream(2);
    const before = Array.from({ length: 20 }, (_, i) => `b${i % 5}:${i}`);
    await put(stream, before);
    const seen: string[] = [];
    const source = new KinesisEventSource({ ...stream, functionArn: FUNCTION_ARN, startingPosition: 'LATEST' }, emulators().clients.kinesis(), undefined, (_arn, event) => {
      seen.push(...payloads(event));
      return Promise.resolve(null);
    });
    await source.drain();
    expect(seen).toEqual([]);
    const after = Array.from({ length: 20 }, (_, i) => `a${i % 5}:${i}`);
    const placed = await put(stream, after);
    expect(new Set(placed.map((r) => r.ShardId)).size).toBe(2);
    await source.drain();
    expect([...seen].sort()).toEqual([...after].sort());
    expectOrderPerKey(seen);
  });
});

describe('maximumBatchingWindowInSeconds', () => {
  /** Runs a mapping while 5 records trickle in 100 ms apart; returns its invocations and when the first came. */
  async function trickle(windowSeconds: number): Promise<{ batches: string[][]; firstDelayMs: number }> {
    const stream = await newStream();
    const batches: string[][] = [];
    let firstAt = 0;
    const source = new KinesisEventSource({ ...stream, functionArn: FUNCTION_ARN, batchSize: 100, maximumBatchingWindowInSeconds: windowSeconds }, emulators().clients.kinesis(), undefined, (_arn, event) => {
      if (batches.length === 0) firstAt = Date.now();
      batches.push(payloads(event));
      return Promise.resolve(null);
    });
    const running = source.run(50);
    try {
      await sleep(100); // the first poll has happened: TRIM_HORIZON or not, nothing is waiting
      const putAt = Date.now();
      for (let i = 0; i < 5; i++) {
        await put(stream, [`k:${i}`]);
        await sleep(100);
      }
      await until(() => batches.flat().length === 5, 5_000, 'all 5 records');
      await sleep(windowSeconds * 1000 + 200); // nothing else comes
      return { batches, firstDelayMs: firstAt - putAt };
    } finally {
      source.stop();
      await within(running, 3_000, 'run()');
    }
  }

  it('with a 1 s window gathers a trickle into one invocation, sent when the window ends', async () => {
    const { batches, firstDelayMs } = await trickle(1);
    expect(batches).toEqual([['k:0', 'k:1', 'k:2', 'k:3', 'k:4']]);
    expect(firstDelayMs).toBeGreaterThanOrEqual(900);
  });

  it('with no window sends a batch as soon as records are there', async () => {
    const { batches, firstDelayMs } = await trickle(0);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toEqual(['k:0', 'k:1', 'k:2', 'k:3', 'k:4']);
    expect(firstDelayMs).toBeLessThan(400);
  });

  it('does not wait for the window with a full batch', async () => {
    const stream = await newStream();
    await put(stream, Array.from({ length: 7 }, (_, i) => `k:${i}`));
    const sizes: number[] = [];
    const started = Date.now();
    let firstAt = 0;
    const source = new KinesisEventSource({ ...stream, functionArn: FUNCTION_ARN, batchSize: 3, maximumBatchingWindowInSeconds: 1 }, emulators().clients.kinesis(), undefined, (_arn, event) => {
      if (sizes.length === 0) firstAt = Date.now();
      sizes.push(event.Records.length);
      return Promise.resolve(null);
    });
    await source.drain();
    expect(sizes).toEqual([3, 3, 1]);
    expect(firstAt - started).toBeLessThan(500);
    // The last, partial batch waited for its window.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});

describe('maximumRecordAgeInSeconds', () => {
  it('reports records older than the limit to the on-failure queue instead of sending them', async () => {
    const stream = await newStream();
    const destination = await onFailureQueue();
    const old = await put(stream, ['k:old0', 'k:old1']);
    const oldPutBy = Date.now();
    await sleep(200);
    const youngPutFrom = Date.now();
    await put(stream, ['k:new0', 'k:new1']);
    // 60 s after a moment between the two puts: the first two are over 60 s old, the others not.
    const boundary = (oldPutBy + youngPutFrom) / 2;
    const seen: string[] = [];
    const source = new KinesisEventSource({
      ...stream, functionArn: FUNCTION_ARN, maximumRecordAgeInSeconds: 60, onFailure: destination, now: () => boundary + 60_000,
    }, emulators().clients.kinesis(), emulators().clients.sqs(), (_arn, event) => {
      seen.push(...payloads(event));
      return Promise.resolve(null);
    });
    await source.drain();
    expect(seen).toEqual(['k:new0', 'k:new1']);
    expect(source.stats).toMatchObject({ recordsProcessed: 2, recordsDiscarded: 2, discardedBatches: 1, invocations: 1 });
    const messages = await failureMessages(destination.queueUrl);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.requestContext).toMatchObject({ condition: 'RecordAgeExceeded', functionArn: FUNCTION_ARN, approximateInvokeCount: 0 });
    expect(messages[0]!.KinesisBatchInfo).toMatchObject({
      shardId: 'shardId-000000000000', batchSize: 2, streamArn: stream.streamArn,
      startSequenceNumber: old[0]!.SequenceNumber, endSequenceNumber: old[1]!.SequenceNumber,
    });
  });

  it('ends unbounded retries of a failing batch once its records are too old', async () => {
    const stream = await newStream();
    const destination = await onFailureQueue();
    await put(stream, ['k:0']);
    let skewMs = 0;
    let calls = 0;
    const source = new KinesisEventSource({
      ...stream, functionArn: FUNCTION_ARN, maximumRecordAgeInSeconds: 60, onFailure: destination, now: () => Date.now() + skewMs,
    }, emulators().clients.kinesis(), emulators().clients.sqs(), () => {
      calls++;
      if (calls === 2) skewMs = 61_000; // a minute passes during the second attempt
      return Promise.reject(new Error('always fails'));
    });
    await within(source.drain(), 5_000, 'drain()');
    expect(calls).toBe(2);
    expect(source.stats).toMatchObject({ failedInvocations: 2, recordsDiscarded: 1, recordsProcessed: 0 });
    const messages = await failureMessages(destination.queueUrl);
    expect(messages.map((m) => [m.requestContext.condition, m.requestContext.approximateInvokeCount])).toEqual([['RecordAgeExceeded', 2]]);
  });
});

describe('parallelizationFactor', () => {
  it('runs lanes concurrently, keeps the order per partition key and delivers every record once', async () => {
    const stream = await newStream();
    const records = Array.from({ length: 300 }, (_, i) => `p${i % 30}:${i}`);
    await put(stream, records);
    const seen: string[] = [];
    const inFlightKeys = new Map<string, number>();
    let inFlight = 0;
    let maxInFlight = 0;
    let overlappingKey: string | undefined;
    let firstWaited = false;
    let reachedTwo = false;
    const source = new KinesisEventSource({ ...stream, functionArn: FUNCTION_ARN, batchSize: 100, parallelizationFactor: 3 }, emulators().clients.kinesis(), undefined, async (_arn, event) => {
      const keys = new Set(event.Records.map((r) => r.kinesis.partitionKey));
      for (const key of keys) {
        if (inFlightKeys.has(key)) overlappingKey = key;
        inFlightKeys.set(key, (inFlightKeys.get(key) ?? 0) + 1);
      }
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // The first invocation waits for a second one to start: that only happens if lanes run concurrently.
      if (!firstWaited) {
        firstWaited = true;
        await until(() => maxInFlight >= 2, 3_000, 'a second invocation in flight').then(() => (reachedTwo = true), () => undefined);
      }
      await sleep(5);
      seen.push(...payloads(event));
      inFlight--;
      for (const key of keys) {
        const left = inFlightKeys.get(key)! - 1;
        if (left === 0) inFlightKeys.delete(key);
        else inFlightKeys.set(key, left);
      }
      return null;
    });
    await within(source.drain(), 15_000, 'drain()');
    expect(reachedTwo).toBe(true);
    expect(maxInFlight).toBeGreaterThanOrEqual(2);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(overlappingKey).toBeUndefined();
    expect(seen).toHaveLength(records.length);
    expect([...seen].sort()).toEqual([...records].sort());
    expectOrderPerKey(seen);
    expect(source.stats).toMatchObject({ recordsProcessed: 300, recordsDiscarded: 0 });
  });
});

describe('resharding', () => {
  const HALF_HASH_RANGE = (2n ** 127n).toString();

  async function waitActive(stream: StreamRef): Promise<void> {
    const kinesis = emulators().clients.kinesis();
    for (const deadline = Date.now() + 5_000; ; ) {
      const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream.streamName }));
      if (StreamDescriptionSummary!.StreamStatus === 'ACTIVE') return;
      if (Date.now() > deadline) throw new Error('stream not ACTIVE after resharding');
      await sleep(20);
    }
  }

  /** Every `before` record was delivered ahead of every `after` one, each once, in order per key. */
  function expectParentsFirst(seen: readonly string[], before: readonly string[], after: readonly string[]): void {
    expect([...seen].sort()).toEqual([...before, ...after].sort());
    const lastBefore = Math.max(...before.map((r) => seen.indexOf(r)));
    const firstAfter = Math.min(...after.map((r) => seen.indexOf(r)));
    expect(lastBefore).toBeLessThan(firstAfter);
    expectOrderPerKey(seen);
  }

  it('SplitShard: the parent is read to its end before its children, in one drain()', async () => {
    const stream = await newStream();
    const before = Array.from({ length: 40 }, (_, i) => `k${i % 20}:${i}`);
    await put(stream, before);
    // kinesalite ends a closed shard at once if it was split within 1 s of its last record; later,
    // GetRecords first returns empty pages with an iterator, as AWS may: those must not end the drain.
    await sleep(1_100);
    await emulators().clients.kinesis().send(new SplitShardCommand({ StreamName: stream.streamName, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: HALF_HASH_RANGE }));
    await waitActive(stream);
    const after = Array.from({ length: 40 }, (_, i) => `k${i % 20}:${100 + i}`);
    const placed = await put(stream, after);
    expect(new Set(placed.map((r) => r.ShardId))).toEqual(new Set(['shardId-000000000001', 'shardId-000000000002']));
    const seen: string[] = [];
    const shardsSeen: string[] = [];
    const source = new KinesisEventSource({ ...stream, functionArn: FUNCTION_ARN, batchSize: 15 }, emulators().clients.kinesis(), undefined, (_arn, event) => {
      seen.push(...payloads(event));
      shardsSeen.push(...event.Records.map((r) => r.eventID.split(':')[0]!));
      return Promise.resolve(null);
    });
    await source.drain();
    expectParentsFirst(seen, before, after);
    expect(new Set(shardsSeen.slice(0, 40))).toEqual(new Set(['shardId-000000000000']));
  });

  it('SplitShard while a LATEST mapping runs: the children are read from their start', async () => {
    const stream = await newStream();
    const seen: string[] = [];
    const source = new KinesisEventSource({ ...stream, functionArn: FUNCTION_ARN, startingPosition: 'LATEST' }, emulators().clients.kinesis(), undefined, (_arn, event) => {
      seen.push(...payloads(event));
      return Promise.resolve(null);
    });
    await source.drain(); // the first poll: from here on everything counts
    const before = Array.from({ length: 20 }, (_, i) => `k${i % 10}:${i}`);
    await put(stream, before);
    await emulators().clients.kinesis().send(new SplitShardCommand({ StreamName: stream.streamName, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: HALF_HASH_RANGE }));
    await waitActive(stream);
    const after = Array.from({ length: 20 }, (_, i) => `k${i % 10}:${100 + i}`);
    await put(stream, after);
    await source.drain();
    expectParentsFirst(seen, before, after);
  });

  it('MergeShards: both parents are read to their end before the child', async () => {
    const stream = await newStream(2);
    const before = Array.from({ length: 40 }, (_, i) => `k${i % 20}:${i}`);
    const placed = await put(stream, before);
    expect(new Set(placed.map((r) => r.ShardId)).size).toBe(2);
    await emulators().clients.kinesis().send(new MergeShardsCommand({ StreamName: stream.streamName, ShardToMerge: 'shardId-000000000000', AdjacentShardToMerge: 'shardId-000000000001' }));
    await waitActive(stream);
    const after = Array.from({ length: 40 }, (_, i) => `k${i % 20}:${100 + i}`);
    expect(new Set((await put(stream, after)).map((r) => r.ShardId))).toEqual(new Set(['shardId-000000000002']));
    const seen: string[] = [];
    const source = new KinesisEventSource({ ...stream, functionArn: FUNCTION_ARN, batchSize: 7 }, emulators().clients.kinesis(), undefined, (_arn, event) => {
      seen.push(...payloads(event));
      return Promise.resolve(null);
    });
    await source.drain();
    expectParentsFirst(seen, before, after);
  });
});

describe('maximumRetryAttempts -1', () => {
  it.each(['drain', 'run'] as const)('stop() ends %s() during endless retries of a failing record, discarding nothing', async (mode) => {
    const stream = await newStream();
    const destination = await onFailureQueue();
    await put(stream, ['k:poison']);
    let calls = 0;
    const source = new KinesisEventSource({ ...stream, functionArn: FUNCTION_ARN, maximumRetryAttempts: -1, onFailure: destination }, emulators().clients.kinesis(), emulators().clients.sqs(), () => {
      calls++;
      return Promise.reject(new Error('always fails'));
    });
    const running = mode === 'drain' ? source.drain() : source.run(50);
    await until(() => calls >= 4, 5_000, 'four attempts');
    source.stop();
    await within(running, 2_000, `${mode}()`);
    const callsAtStop = calls;
    await sleep(300);
    expect(calls).toBe(callsAtStop);
    expect(source.stats).toMatchObject({ recordsDiscarded: 0, discardedBatches: 0, recordsProcessed: 0 });
    expect(source.stats.failedInvocations).toBe(calls);
    expect(await failureMessages(destination.queueUrl)).toEqual([]);
  });
});

describe('the Kinesis event', () => {
  it('is exactly what Lambda sends', async () => {
    const stream = await newStream();
    const data = Buffer.from([0, 1, 2, 250, 255, 0x7b]);
    const putFrom = Date.now();
    const { ShardId, SequenceNumber } = await emulators().clients.kinesis().send(new PutRecordCommand({ StreamName: stream.streamName, PartitionKey: 'pk-1', Data: data }));
    const putBy = Date.now();
    const events: KinesisStreamEvent[] = [];
    const source = new KinesisEventSource({ ...stream, functionArn: FUNCTION_ARN }, emulators().clients.kinesis(), undefined, (_arn, event) => {
      events.push(event);
      return Promise.resolve(null);
    });
    await source.drain();
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(Object.keys(event)).toEqual(['Records']);
    const [record] = event.Records;
    expect(record).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0', partitionKey: 'pk-1', sequenceNumber: SequenceNumber,
        data: data.toString('base64'), approximateArrivalTimestamp: expect.any(Number) as number,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${ShardId!}:${SequenceNumber!}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: expect.stringMatching(/^arn:aws:iam::000000000000:role\/[\w+=,.@-]+$/) as string,
      awsRegion: 'eu-west-1',
      eventSourceARN: stream.streamArn,
    });
    expect(ShardId).toBe('shardId-000000000000');
    expect(stream.streamArn).toBe(`arn:aws:kinesis:eu-west-1:000000000000:stream/${stream.streamName}`);
    // AWS's key order, as a function logging the event would show it.
    expect(Object.keys(record!)).toEqual(['kinesis', 'eventSource', 'eventVersion', 'eventID', 'eventName', 'invokeIdentityArn', 'awsRegion', 'eventSourceARN']);
    expect(Object.keys(record!.kinesis)).toEqual(['kinesisSchemaVersion', 'partitionKey', 'sequenceNumber', 'data', 'approximateArrivalTimestamp']);
    // Seconds since the epoch with the milliseconds as a fraction, not milliseconds.
    const arrival = record!.kinesis.approximateArrivalTimestamp;
    expect(String(arrival)).toMatch(/^\d{10}(\.\d{1,3})?$/);
    expect(arrival * 1000).toBeGreaterThanOrEqual(putFrom - 1);
    expect(arrival * 1000).toBeLessThanOrEqual(putBy + 1);
  });
});

describe('the 6 MB invocation payload limit', () => {
  it('cuts a batch whose event would exceed it, in order and without losing a record', async () => {
    const stream = await newStream();
    // 8 × 1,000,000 bytes: 1.33 MB each in base64, so at most 4 fit in one 6 MB event.
    const records = Array.from({ length: 8 }, (_, i) => `k:${i}:${'x'.repeat(1_000_000 - 5)}`);
    for (let i = 0; i < records.length; i += 4) await put(stream, records.slice(i, i + 4));
    const sizes: number[] = [];
    const seen: string[] = [];
    const source = new KinesisEventSource({ ...stream, functionArn: FUNCTION_ARN, batchSize: 100 }, emulators().clients.kinesis(), undefined, (_arn, event) => {
      sizes.push(Buffer.byteLength(JSON.stringify(event)));
      seen.push(...payloads(event).map((p) => p.slice(0, 3)));
      return Promise.resolve(null);
    });
    await source.drain();
    expect(seen).toEqual(records.map((r) => r.slice(0, 3)));
    expect(sizes).toHaveLength(2);
    for (const size of sizes) {
      expect(size).toBeLessThanOrEqual(MAX_INVOCATION_PAYLOAD_BYTES);
      expect(size).toBeGreaterThan(4 * 1_333_000);
    }
  });
});

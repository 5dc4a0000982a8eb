import { KinesisProducer, RejectionCode, type KinesisProducerOptions } from '../../../../lib/kinesis/producer';
import { FakeKinesis, noSleep, type SentEntry } from './fake-kinesis';

const MIB = 1024 * 1024;
const THROTTLED = 'ProvisionedThroughputExceededException';

function producerFor(fake: FakeKinesis, options: Partial<KinesisProducerOptions> = {}): KinesisProducer {
  return new KinesisProducer({ client: fake.client, streamName: 'telemetry', aggregate: false, sleep: noSleep, ...options });
}

const key = (e: SentEntry): string => `${e.partitionKey}/${e.data.toString()}`;

describe('KinesisProducer requests', () => {
  test('splits requests at 500 records and reports per shard', async () => {
    const fake = new FakeKinesis(4);
    const producer = producerFor(fake);
    for (let i = 0; i < 1_200; i++) await producer.put(`record-${i}`, { partitionKey: `device-${i % 37}` });
    const report = await producer.close();

    expect(fake.requests.map((r) => r.length)).toEqual([500, 500, 200]);
    expect(fake.requests.flat().map((e) => e.data.toString())).toEqual(Array.from({ length: 1_200 }, (_, i) => `record-${i}`));
    expect(report).toMatchObject({ userRecordsPut: 1_200, userRecordsWritten: 1_200, kinesisRecordsWritten: 1_200, userRecordsFailed: 0, requests: 3, retriedKinesisRecords: 0, throttledEntries: 0, failures: [] });
    // Per shard, from the ShardId of each result, against the fake's own routing.
    const expected: Record<string, { userRecords: number; kinesisRecords: number; bytes: number }> = {};
    for (const entry of fake.requests.flat()) {
      const stats = (expected[fake.shardOf(entry).shardId] ??= { userRecords: 0, kinesisRecords: 0, bytes: 0 });
      stats.userRecords++;
      stats.kinesisRecords++;
      stats.bytes += entry.data.length + Buffer.byteLength(entry.partitionKey);
    }
    expect(report.shards).toEqual(expected);
    expect(Object.keys(report.shards)).toHaveLength(4);
    expect(report.userBytesWritten).toBe(fake.requests.flat().reduce((s, e) => s + e.data.length, 0));
  });

  test('splits requests at 5 MiB of data + partition keys', async () => {
    const fake = new FakeKinesis(1);
    const producer = producerFor(fake);
    const data = Buffer.alloc(700 * 1024, 1);
    for (let i = 0; i < 20; i++) await producer.put(data, { partitionKey: `k${i}` });
    await producer.close();
    // 7 records of 700 KiB + key fit in 5 MiB, an 8th would not.
    expect(fake.requests.map((r) => r.length)).toEqual([7, 7, 6]);
    for (const request of fake.requests) {
      expect(request.reduce((sum, e) => sum + e.data.length + Buffer.byteLength(e.partitionKey), 0)).toBeLessThanOrEqual(5 * MIB);
    }
  });

  test('honours configured request limits (streams can opt into others)', async () => {
    const fake = new FakeKinesis(1);
    const producer = producerFor(fake, { maxRecordsPerRequest: 3, maxBytesPerRequest: 100, maxRecordBytes: 60 });
    for (let i = 0; i < 8; i++) await producer.put(Buffer.alloc(20), { partitionKey: `k${i}` });
    const report = await producer.put(Buffer.alloc(59), { partitionKey: 'kk' }).then(() => producer.close());
    expect(fake.requests.map((r) => r.length)).toEqual([3, 3, 2]);
    expect(report.failures).toEqual([expect.objectContaining({ errorCode: RejectionCode.RecordTooLarge, partitionKey: 'kk', attempts: 0 })]);
  });

  test('throttled entries are resent after a backoff and then written', async () => {
    const fake = new FakeKinesis(2);
    fake.outcome = (_entry, call) => (call === 0 ? { errorCode: THROTTLED } : 'ok');
    const sleeps: number[] = [];
    const producer = producerFor(fake, { sleep: (ms) => (sleeps.push(ms), Promise.resolve()), backoff: { baseMs: 100, capMs: 1_000 } });
    for (let i = 0; i < 10; i++) await producer.put(`r${i}`, { partitionKey: `p${i}` });
    const report = await producer.close();
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]).toEqual(fake.requests[0]);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(0);
    expect(sleeps[0]).toBeLessThan(100);
    expect(report).toMatchObject({ userRecordsWritten: 10, requests: 2, throttledEntries: 10, retriedKinesisRecords: 10, userRecordsFailed: 0 });
  });

  test('a partial failure resends only the failed entries', async () => {
    const fake = new FakeKinesis(4);
    fake.outcome = (entry, call) => {
      if (call === 0 && entry.partitionKey === 'p3') return { errorCode: THROTTLED };
      if (call === 0 && entry.partitionKey === 'p7') return { errorCode: 'InternalFailure', errorMessage: 'Internal service failure.' };
      return 'ok';
    };
    const producer = producerFor(fake);
    for (let i = 0; i < 10; i++) await producer.put(`r${i}`, { partitionKey: `p${i}` });
    const report = await producer.close();
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[0]).toHaveLength(10);
    expect(fake.requests[1]!.map(key)).toEqual(['p3/r3', 'p7/r7']);
    expect(report).toMatchObject({ userRecordsWritten: 10, kinesisRecordsWritten: 10, requests: 2, retriedKinesisRecords: 2, throttledEntries: 1, userRecordsFailed: 0 });
  });

  test('after the last attempt, every failed user record is reported with its data, key, last error and attempts', async () => {
    const fake = new FakeKinesis(4);
    fake.outcome = (entry, call) => {
      if (entry.partitionKey === 'bad-1') return { errorCode: 'InternalFailure', errorMessage: `attempt ${call}` };
      if (entry.partitionKey === 'bad-2') return { errorCode: THROTTLED, errorMessage: 'Rate exceeded for shard' };
      return 'ok';
    };
    const seen: string[] = [];
    const producer = producerFor(fake, { maxAttempts: 3, onFailure: (f) => seen.push(f.partitionKey) });
    await producer.put('good', { partitionKey: 'ok-1' });
    await producer.put('one', { partitionKey: 'bad-1', explicitHashKey: '12345' });
    await producer.put('two', { partitionKey: 'bad-2' });
    const report = await producer.close();
    expect(fake.requests.map((r) => r.length)).toEqual([3, 2, 2]);
    expect(report.userRecordsWritten).toBe(1);
    expect(report.userRecordsFailed).toBe(2);
    expect(report.failures).toEqual([
      { data: Buffer.from('one'), partitionKey: 'bad-1', explicitHashKey: '12345', errorCode: 'InternalFailure', errorMessage: 'attempt 2', attempts: 3 },
      { data: Buffer.from('two'), partitionKey: 'bad-2', explicitHashKey: undefined, errorCode: THROTTLED, errorMessage: 'Rate exceeded for shard', attempts: 3 },
    ]);
    expect(seen).toEqual(['bad-1', 'bad-2']);
    expect(report.throttledEntries).toBe(3);
  });

  test('a whole-request error (after the SDK’s own retries) fails every entry of the request, then is retried', async () => {
    const fake = new FakeKinesis(1);
    const unavailable = Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' });
    fake.requestError = (call) => (call < 2 ? unavailable : undefined);
    const producer = producerFor(fake, { maxAttempts: 3 });
    for (let i = 0; i < 4; i++) await producer.put(`r${i}`, { partitionKey: `p${i}` });
    const report = await producer.close();
    expect(fake.requests).toHaveLength(3);
    expect(report).toMatchObject({ userRecordsWritten: 4, retriedKinesisRecords: 8, userRecordsFailed: 0 });

    const down = new FakeKinesis(1);
    down.requestError = () => Object.assign(new Error('Stream telemetry not found'), { name: 'ResourceNotFoundException' });
    const failing = producerFor(down, { maxAttempts: 2 });
    await failing.put('x', { partitionKey: 'p' });
    const failed = await failing.close();
    expect(failed.failures).toEqual([{ data: Buffer.from('x'), partitionKey: 'p', explicitHashKey: undefined, errorCode: 'ResourceNotFoundException', errorMessage: 'Stream telemetry not found', attempts: 2 }]);
  });

  test('rejects oversize records and invalid keys up front, without a request, and keeps going', async () => {
    const fake = new FakeKinesis(1);
    const producer = producerFor(fake);
    await producer.put(Buffer.alloc(MIB - 2), { partitionKey: 'ab' }); // exactly 1 MiB with its key: fine
    await producer.put(Buffer.alloc(MIB - 1), { partitionKey: 'ab' });
    await producer.put('x', { partitionKey: '' });
    await producer.put('x', { partitionKey: 'k'.repeat(257) });
    await producer.put('x', { partitionKey: 'bad\uD800' });
    await producer.put('x', { partitionKey: 'p', explicitHashKey: '0123' });
    await producer.put('x', { partitionKey: 'p', explicitHashKey: (2n ** 128n).toString() });
    await producer.put('y', { partitionKey: 'k'.repeat(256), explicitHashKey: (2n ** 128n - 1n).toString() });
    const report = await producer.close();
    expect(report.failures.map((f) => [f.errorCode, f.attempts])).toEqual([
      [RejectionCode.RecordTooLarge, 0],
      [RejectionCode.InvalidPartitionKey, 0],
      [RejectionCode.InvalidPartitionKey, 0],
      [RejectionCode.InvalidPartitionKey, 0],
      [RejectionCode.InvalidExplicitHashKey, 0],
      [RejectionCode.InvalidExplicitHashKey, 0],
    ]);
    expect(report.failures[0]!.data.length).toBe(MIB - 1);
    expect(report.failures[0]!.errorMessage).toMatch(/1048577 bytes/);
    expect(report).toMatchObject({ userRecordsPut: 8, userRecordsWritten: 2, userRecordsFailed: 6 });
    expect(fake.requests.flat().map((e) => e.data.length)).toEqual([MIB - 2, 1]);
  });

  test('without a partition key, uses the default strategy', async () => {
    const fake = new FakeKinesis(1);
    let n = 0;
    const producer = producerFor(fake, { defaultPartitionKey: () => `gen-${n++}` });
    await producer.put('a');
    await producer.put(new Uint8Array([98]));
    await producer.close();
    expect(fake.requests.flat().map(key)).toEqual(['gen-0/a', 'gen-1/b']);
  });

  test('sends StreamName, and StreamARN when given', async () => {
    const fake = new FakeKinesis(1);
    const producer = producerFor(fake, { streamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/telemetry' });
    await producer.put('a', { partitionKey: 'p' });
    await producer.close();
    const calls = fake.mock.calls();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toMatchObject({ StreamName: 'telemetry', StreamARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/telemetry' });
  });
});

import { KinesisProducer, ProducerClosedError, ProducerConfigError, type KinesisProducerOptions } from '../../../../lib/kinesis/producer';
import { FakeKinesis, ManualClock, noSleep, settle } from './fake-kinesis';

function producerFor(fake: FakeKinesis, clock: ManualClock, options: Partial<KinesisProducerOptions> = {}): KinesisProducer {
  return new KinesisProducer({ client: fake.client, streamName: 'telemetry', aggregate: false, sleep: noSleep, clock, ...options });
}

/** A promise and its resolver, to hold fake responses. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('KinesisProducer buffering', () => {
  test('holds a partial request until the oldest record has waited maxBufferedTimeMs', async () => {
    const fake = new FakeKinesis(1);
    const clock = new ManualClock();
    const producer = producerFor(fake, clock, { maxBufferedTimeMs: 100 });
    await producer.put('a', { partitionKey: 'p' });
    clock.advance(60);
    await producer.put('b', { partitionKey: 'p' });
    await settle();
    expect(fake.requests).toHaveLength(0);
    // The deadline is the first record's: 100 ms after it, not after the last one.
    clock.advance(39);
    await settle();
    expect(fake.requests).toHaveLength(0);
    clock.advance(1);
    await settle();
    expect(fake.requests.map((r) => r.map((e) => e.data.toString()))).toEqual([['a', 'b']]);
    expect(clock.pendingTimers).toBe(0);
    // The next record starts a new deadline.
    await producer.put('c', { partitionKey: 'p' });
    expect(clock.pendingTimers).toBe(1);
    clock.advance(100);
    await settle();
    expect(fake.requests).toHaveLength(2);
    const report = await producer.close();
    expect(report.userRecordsWritten).toBe(3);
    expect(clock.pendingTimers).toBe(0);
  });

  test('sends a full request at once, without waiting for the deadline', async () => {
    const fake = new FakeKinesis(1);
    const clock = new ManualClock();
    const producer = producerFor(fake, clock, { maxRecordsPerRequest: 5 });
    for (let i = 0; i < 12; i++) await producer.put(`r${i}`, { partitionKey: 'p' });
    await settle();
    expect(fake.requests.map((r) => r.length)).toEqual([5, 5]);
    clock.advance(100);
    await settle();
    expect(fake.requests.map((r) => r.length)).toEqual([5, 5, 2]);
    await producer.close();
  });

  test('flush() resolves once everything put before it is written', async () => {
    const fake = new FakeKinesis(1);
    const clock = new ManualClock();
    const held = gate();
    fake.hold = (call) => (call === 0 ? held.promise : undefined);
    const producer = producerFor(fake, clock);
    await producer.put('a', { partitionKey: 'p' });
    let flushed = false;
    const flushing = producer.flush().then(() => (flushed = true));
    await settle();
    expect(fake.requests).toHaveLength(1);
    expect(flushed).toBe(false);
    held.open();
    await flushing;
    expect(producer.snapshot().userRecordsWritten).toBe(1);
    await producer.close();
  });

  test('backpressure: put waits while the buffer is full and resumes as records are written', async () => {
    const fake = new FakeKinesis(1);
    const clock = new ManualClock();
    const gates = [gate(), gate()];
    fake.hold = (call) => gates[call]?.promise;
    const producer = producerFor(fake, clock, { maxBufferedRecords: 4, maxRecordsPerRequest: 2, maxConcurrentRequests: 1 });
    for (let i = 0; i < 4; i++) await producer.put(`r${i}`, { partitionKey: 'p' });
    expect(producer.held.records).toBe(4);
    let fifthBuffered = false;
    const fifth = producer.put('r4', { partitionKey: 'p' }).then(() => (fifthBuffered = true));
    await settle();
    expect(fifthBuffered).toBe(false);
    expect(producer.held.records).toBe(4);
    // The first request (r0, r1) returns: room for the fifth.
    gates[0]!.open();
    await fifth;
    expect(fifthBuffered).toBe(true);
    expect(producer.held.records).toBe(3);
    gates[1]!.open();
    const report = await producer.close();
    expect(report.userRecordsWritten).toBe(5);
    expect(fake.requests.flat().map((e) => e.data.toString())).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  test('backpressure by bytes, and a record larger than the byte bound still passes alone', async () => {
    const fake = new FakeKinesis(1);
    const clock = new ManualClock();
    const held = gate();
    fake.hold = (call) => (call === 0 ? held.promise : undefined);
    const producer = producerFor(fake, clock, { maxBufferedBytes: 100 });
    await producer.put(Buffer.alloc(150), { partitionKey: 'p' }); // alone in an empty buffer: admitted
    let second = false;
    const waiting = producer.put(Buffer.alloc(10), { partitionKey: 'p' }).then(() => (second = true));
    await settle();
    expect(second).toBe(false);
    expect(fake.requests).toHaveLength(1); // the full buffer was flushed to make room
    held.open();
    await waiting;
    const report = await producer.close();
    expect(report.userRecordsWritten).toBe(2);
  });

  test('keeps at most maxConcurrentRequests requests in flight', async () => {
    const fake = new FakeKinesis(1);
    const clock = new ManualClock();
    const held = gate();
    fake.hold = () => held.promise;
    const producer = producerFor(fake, clock, { maxRecordsPerRequest: 1, maxConcurrentRequests: 3 });
    for (let i = 0; i < 10; i++) await producer.put(`r${i}`, { partitionKey: 'p' });
    await settle();
    expect(fake.inFlight).toBe(3);
    held.open();
    const report = await producer.close();
    expect(fake.maxInFlight).toBe(3);
    expect(report.requests).toBe(10);
  });

  test('close() waits for puts under way, refuses new ones, and returns the final report', async () => {
    const fake = new FakeKinesis(1);
    const clock = new ManualClock();
    const producer = producerFor(fake, clock, { maxBufferedRecords: 1, maxRecordsPerRequest: 1 });
    const puts = [producer.put('a', { partitionKey: 'p' }), producer.put('b', { partitionKey: 'p' }), producer.put('c', { partitionKey: 'p' })];
    const report = await producer.close();
    await Promise.all(puts);
    expect(report).toMatchObject({ userRecordsPut: 3, userRecordsWritten: 3 });
    await expect(producer.put('late', { partitionKey: 'p' })).rejects.toBeInstanceOf(ProducerClosedError);
  });

  test('rejects settings out of range', () => {
    const fake = new FakeKinesis(1);
    expect(() => new KinesisProducer({ client: fake.client, streamName: 's', maxRecordsPerRequest: 0 })).toThrow(ProducerConfigError);
    expect(() => new KinesisProducer({ client: fake.client, streamName: 's', maxRecordBytes: 10, maxBytesPerRequest: 5 })).toThrow(ProducerConfigError);
    expect(() => new KinesisProducer({ client: fake.client, streamName: 's', maxBufferedTimeMs: -1 })).toThrow(ProducerConfigError);
  });
});

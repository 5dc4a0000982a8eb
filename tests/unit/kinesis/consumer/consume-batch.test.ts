import fc from 'fast-check';
import { aggregate } from '../../../../lib/kinesis/aggregation';
import type { DecodeResult } from '../../../../lib/kinesis/consumer/consume-batch';
import { consumeKinesisBatch } from '../../../../lib/kinesis/consumer/consume-batch';
import type { FailureDestination, PoisonRecord } from '../../../../lib/sinks/failures/failure-destination';
import type { Sink, SinkFailure, SinkItem } from '../../../../lib/sinks/sink';
import { kinesisEvent, sequenceNumberOf, TEST_SHARD_ID } from '../../../support/kinesis-events';

/** Values are `{"n": <int>}`; anything else is invalid. */
const decode = (data: Buffer): DecodeResult<number> => {
  try {
    const value = JSON.parse(data.toString('utf8')) as { n?: unknown };
    return typeof value.n === 'number' ? { ok: true, value: value.n } : { ok: false, error: { field: 'n', reason: 'must be a number' } };
  } catch {
    return { ok: false, error: { field: undefined, reason: 'not JSON' } };
  }
};

/** A sink that fails the values it is told to, and remembers what it wrote. */
class FakeSink implements Sink<number> {
  readonly written: number[] = [];
  readonly calls: SinkItem<number>[][] = [];
  constructor(private readonly failWith: (value: number) => SinkFailure['kind'] | undefined = () => undefined) {}
  write(items: readonly SinkItem<number>[]): Promise<{ failures: SinkFailure[] }> {
    this.calls.push([...items]);
    const failures: SinkFailure[] = [];
    for (const item of items) {
      const kind = this.failWith(item.value);
      if (kind) failures.push({ ref: item.ref, kind, code: kind === 'transient' ? 'ThrottlingException' : 'mapper_parsing_exception', message: `value ${item.value}` });
      else this.written.push(item.value);
    }
    return Promise.resolve({ failures });
  }
}

class FakeDestination implements FailureDestination {
  readonly stored: PoisonRecord[] = [];
  constructor(private readonly broken = false) {}
  write(records: readonly PoisonRecord[]): Promise<void> {
    if (this.broken) return Promise.reject(Object.assign(new Error('AccessDenied'), { name: 'AccessDenied' }));
    this.stored.push(...records);
    return Promise.resolve();
  }
}

const json = (n: number): string => JSON.stringify({ n });
const aggregateOf = (...values: number[]): Buffer => aggregate(values.map((n) => ({ partitionKey: `device-${n}`, data: Buffer.from(json(n)) })));

describe('consumeKinesisBatch', () => {
  it('writes every valid record in stream order and reports no failure', async () => {
    const sink = new FakeSink();
    const outcome = await consumeKinesisBatch(kinesisEvent([1, 2, 3].map((n) => ({ data: json(n) }))), { decode, sink, failures: new FakeDestination() });
    expect(sink.written).toEqual([1, 2, 3]);
    expect(outcome.response).toEqual({ batchItemFailures: [] });
    expect(outcome.counts).toEqual({ kinesisRecords: 3, userRecords: 3, written: 3, poison: { undecodable: 0, invalid: 0, rejected: 0 }, retried: 0 });
  });

  it('de-aggregates KPL records and accepts plain ones beside them', async () => {
    const sink = new FakeSink();
    const failures = new FakeDestination();
    const outcome = await consumeKinesisBatch(kinesisEvent([{ data: json(1) }, { data: aggregateOf(2, 3, 4) }, { data: json(5) }]), { decode, sink, failures });
    expect(sink.written).toEqual([1, 2, 3, 4, 5]);
    expect(outcome.counts).toMatchObject({ kinesisRecords: 3, userRecords: 5, written: 5 });
  });

  it('sends a corrupt aggregate whole to the failure destination and moves on', async () => {
    const corrupt = aggregateOf(2, 3);
    corrupt[corrupt.length - 1]! ^= 0xff; // the MD5's last byte
    const sink = new FakeSink();
    const failures = new FakeDestination();
    const outcome = await consumeKinesisBatch(kinesisEvent([{ data: json(1) }, { data: corrupt }, { data: json(4) }]), { decode, sink, failures });
    expect(sink.written).toEqual([1, 4]);
    expect(failures.stored).toHaveLength(1);
    expect(failures.stored[0]!.data.equals(corrupt)).toBe(true);
    expect(failures.stored[0]!.reason).toMatchObject({ kind: 'undecodable' });
    expect(failures.stored[0]!.reason.message).toMatch(/KPL aggregate.*(checksum|MD5)/i);
    expect(failures.stored[0]!.origin).toMatchObject({ shardId: TEST_SHARD_ID, sequenceNumber: sequenceNumberOf(2), subSequenceNumber: 0 });
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(outcome.counts.poison).toEqual({ undecodable: 1, invalid: 0, rejected: 0 });
  });

  it('routes invalid records with their field and reason, keeping sub-sequence numbers of aggregated ones', async () => {
    const failures = new FakeDestination();
    const bad = aggregate([{ partitionKey: 'a', data: Buffer.from(json(7)) }, { partitionKey: 'b', data: Buffer.from('{"n":"x"}') }]);
    const outcome = await consumeKinesisBatch(kinesisEvent([{ data: 'not json' }, { data: bad }]), { decode, sink: new FakeSink(), failures });
    expect(failures.stored.map((p) => [p.origin.sequenceNumber, p.origin.subSequenceNumber, p.origin.partitionKey, p.reason.kind, p.reason.field])).toEqual([
      [sequenceNumberOf(1), 0, 'sensor-0001', 'invalid', undefined],
      [sequenceNumberOf(2), 1, 'b', 'invalid', 'n'],
    ]);
    expect(outcome.counts).toMatchObject({ written: 1, poison: { invalid: 2 }, retried: 0 });
  });

  it('reports the first transiently failed record so Lambda resumes there', async () => {
    const sink = new FakeSink((n) => (n === 3 || n === 5 ? 'transient' : undefined));
    const outcome = await consumeKinesisBatch(kinesisEvent([1, 2, 3, 4, 5].map((n) => ({ data: json(n) }))), { decode, sink, failures: new FakeDestination() });
    expect(outcome.response).toEqual({ batchItemFailures: [{ itemIdentifier: sequenceNumberOf(3) }] });
    expect(outcome.retryFrom).toBe(sequenceNumberOf(3));
    expect(outcome.retryReason).toBe('ThrottlingException');
    // 3, 4 and 5 come again (4 was written and is written again: idempotent sinks).
    expect(outcome.counts).toMatchObject({ written: 2, retried: 3 });
  });

  it('names the aggregate when one of its user records fails, and retries all of it', async () => {
    const sink = new FakeSink((n) => (n === 3 ? 'transient' : undefined));
    const outcome = await consumeKinesisBatch(kinesisEvent([{ data: json(1) }, { data: aggregateOf(2, 3, 4) }]), { decode, sink, failures: new FakeDestination() });
    expect(outcome.response.batchItemFailures).toEqual([{ itemIdentifier: sequenceNumberOf(2) }]);
    expect(outcome.counts).toMatchObject({ userRecords: 4, written: 1, retried: 3 });
  });

  it('sends records the store rejects for good to the failure destination instead of retrying them', async () => {
    const failures = new FakeDestination();
    const outcome = await consumeKinesisBatch(kinesisEvent([1, 2, 3].map((n) => ({ data: json(n) }))), { decode, sink: new FakeSink((n) => (n === 2 ? 'permanent' : undefined)), failures });
    expect(outcome.response.batchItemFailures).toEqual([]);
    expect(failures.stored.map((p) => p.reason)).toEqual([{ kind: 'rejected', code: 'mapper_parsing_exception', message: 'value 2' }]);
    expect(outcome.counts.poison.rejected).toBe(1);
  });

  it('retries from the first poison record when the failure destination cannot take it', async () => {
    const outcome = await consumeKinesisBatch(kinesisEvent([{ data: json(1) }, { data: 'bad' }, { data: json(3) }]), { decode, sink: new FakeSink(), failures: new FakeDestination(true) });
    expect(outcome.response.batchItemFailures).toEqual([{ itemIdentifier: sequenceNumberOf(2) }]);
    expect(outcome.retryReason).toBe('AccessDenied');
    expect(outcome.counts).toMatchObject({ written: 1, retried: 2, poison: { invalid: 0 } });
  });

  it('rejects a sink answer about an item it was not given', async () => {
    const sink: Sink<number> = { write: () => Promise.resolve({ failures: [{ ref: 99, kind: 'transient', code: 'X', message: 'x' }] }) };
    await expect(consumeKinesisBatch(kinesisEvent([{ data: json(1) }]), { decode, sink, failures: new FakeDestination() })).rejects.toThrow(/unknown ref 99/);
  });

  it('does not call the sink for a batch with nothing valid', async () => {
    const sink = new FakeSink();
    await consumeKinesisBatch(kinesisEvent([{ data: 'bad' }]), { decode, sink, failures: new FakeDestination() });
    expect(sink.calls).toHaveLength(0);
  });

  it('accounts for every user record exactly once: written, poison or retried', async () => {
    const record = fc.oneof(
      fc.integer({ min: 0, max: 99 }).map((n) => ({ data: json(n) })),
      fc.constant({ data: 'bad' }),
      fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 1, maxLength: 4 }).map((ns) => ({ data: aggregateOf(...ns) })),
    );
    await fc.assert(fc.asyncProperty(fc.array(record, { maxLength: 12 }), fc.func(fc.constantFrom<SinkFailure['kind'] | undefined>(undefined, undefined, 'transient', 'permanent')), async (records, failWith) => {
      const failures = new FakeDestination();
      const sink = new FakeSink((n) => failWith(n));
      const { counts, response } = await consumeKinesisBatch(kinesisEvent(records), { decode, sink, failures });
      const poison = counts.poison.undecodable + counts.poison.invalid + counts.poison.rejected;
      expect(counts.written + poison + counts.retried).toBe(counts.userRecords);
      expect(response.batchItemFailures.length).toBe(counts.retried > 0 ? 1 : 0);
      // Nothing before the retry point is lost: each handled record is in the sink or the destination.
      expect(sink.written.length + failures.stored.length).toBeGreaterThanOrEqual(counts.written + poison);
    }));
  });
});

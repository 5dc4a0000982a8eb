import { S3Client } from '@aws-sdk/client-s3';
import type { SinkFailure, SinkItem } from '../../../../lib/sinks/sink';
import type { DecodeResult, WorkerSink, WorkerSinkResult } from '../../../../lib/sqs/batch';
import { prepareMessages, processFifoBatch } from '../../../../lib/sqs/batch';
import type { TestMessage } from './sqs-events';
import { failedIds, sqsEvent } from './sqs-events';

const client = new S3Client({ region: 'eu-west-1' });

/** Bodies are `<group>-<n>` (e.g. `A-2`); `poison` anywhere in the body makes it undecodable. */
const decode = (body: string): DecodeResult<string> =>
  body.includes('poison') ? { ok: false, error: { kind: 'undecodable', reason: 'poison' } } : { ok: true, value: body };

/**
 * A store that fails the values it is told to. `stops` (default true): after a failure it does not
 * apply the later values of the same group — as the contract asks; false: a careless store.
 */
class GroupSink implements WorkerSink<string> {
  readonly applied: string[] = [];
  readonly given: string[][] = [];
  constructor(private readonly fail: Readonly<Record<string, 'transient' | 'permanent'>>, private readonly stops = true) {}

  write(items: readonly SinkItem<string>[]): Promise<WorkerSinkResult> {
    this.given.push(items.map((i) => i.value));
    const failures: SinkFailure[] = [];
    const failedGroups = new Set<string>();
    for (const { ref, value } of items) {
      const group = value.split('-')[0]!;
      if (this.stops && failedGroups.has(group)) {
        failures.push({ ref, kind: 'transient', code: 'Blocked', message: 'after a failure' });
        continue;
      }
      const kind = this.fail[value];
      if (kind === undefined) {
        this.applied.push(value);
      } else {
        failures.push({ ref, kind, code: kind === 'transient' ? 'ThrottlingException' : 'SequenceConflict', message: value });
        failedGroups.add(group);
      }
    }
    return Promise.resolve({ failures, duplicates: [] });
  }
}

/** Messages in Lambda's FIFO order: each group's in order, groups interleaved. */
const fifo = (...bodies: string[]): TestMessage[] => bodies.map((body, i) => ({ body, groupId: body.split('-')[0]!, messageId: `id-${body}-${i}` }));
const idsOf = (messages: readonly TestMessage[], bodies: readonly string[]): string[] => messages.filter((m) => bodies.includes(m.body)).map((m) => m.messageId!);

async function run(messages: readonly TestMessage[], sink: WorkerSink<string>) {
  return processFifoBatch(await prepareMessages(sqsEvent(messages).Records, { decode, s3: client }), sink);
}

describe('processFifoBatch', () => {
  it('after a failure, reports that message and every later one of its group; the other groups go on', async () => {
    const messages = fifo('A-1', 'B-1', 'A-2', 'C-1', 'B-2', 'A-3', 'C-2', 'A-4');
    const sink = new GroupSink({ 'A-2': 'transient' });
    const result = await run(messages, sink);
    expect(failedIds(result.response)).toEqual(idsOf(messages, ['A-2', 'A-3', 'A-4']));
    expect(sink.applied).toEqual(['A-1', 'B-1', 'C-1', 'B-2', 'C-2']);
    expect(result.counts).toMatchObject({ applied: 5, transient: 1, blocked: 2 });
    expect(result.outcomes[5]).toEqual({ ok: false, failure: { kind: 'blocked', after: 'id-A-2-2', message: expect.stringContaining('"A"') as unknown } });
  });

  it('a poison message stops its group before the store: the store never sees the later ones', async () => {
    const messages = fifo('A-1', 'B-1', 'A-poison', 'B-2', 'A-3');
    const sink = new GroupSink({});
    const result = await run(messages, sink);
    expect(sink.given).toEqual([['A-1', 'B-1', 'B-2']]);
    expect(failedIds(result.response)).toEqual(idsOf(messages, ['A-poison', 'A-3']));
    expect(result.counts).toMatchObject({ applied: 3, blocked: 1, poison: { undecodable: 1, invalid: 0, payload: 0, rejected: 0 } });
  });

  it('a poison message after a failure keeps its reason (counted as poison), the rest are blocked', async () => {
    const messages = fifo('A-1', 'A-2', 'A-poison', 'A-4');
    const result = await run(messages, new GroupSink({ 'A-1': 'transient' }));
    expect(failedIds(result.response)).toEqual(idsOf(messages, ['A-1', 'A-2', 'A-poison', 'A-4']));
    expect(result.counts).toMatchObject({ transient: 1, blocked: 2, poison: { undecodable: 1 } });
  });

  it('a store rejection (permanent) is poison and blocks the rest of its group too', async () => {
    const messages = fifo('A-1', 'A-2', 'B-1');
    const result = await run(messages, new GroupSink({ 'A-1': 'permanent' }));
    expect(failedIds(result.response)).toEqual(idsOf(messages, ['A-1', 'A-2']));
    expect(result.counts).toMatchObject({ poison: { rejected: 1 }, blocked: 1, applied: 1 });
  });

  it('reports the later messages of a failed group even when a careless store applied them', async () => {
    const messages = fifo('A-1', 'A-2', 'A-3');
    const sink = new GroupSink({ 'A-1': 'transient' }, false);
    const result = await run(messages, sink);
    expect(sink.applied).toEqual(['A-2', 'A-3']);
    // Redelivered after A-1; the store's idempotence makes their second application a no-op.
    expect(failedIds(result.response)).toEqual(idsOf(messages, ['A-1', 'A-2', 'A-3']));
  });

  it('every message of an all-failed batch is reported', async () => {
    const messages = fifo('A-1', 'B-1', 'A-2', 'B-2');
    const result = await run(messages, new GroupSink({ 'A-1': 'transient', 'B-1': 'transient' }));
    expect(failedIds(result.response)).toEqual(messages.map((m) => m.messageId));
  });

  it('messages without a group id (not from a FIFO queue) are kept in order as one group', async () => {
    const messages: TestMessage[] = ['A-1', 'B-1', 'C-1'].map((body, i) => ({ body, messageId: `m${i}` }));
    const result = await run(messages, new GroupSink({ 'A-1': 'transient' }));
    expect(failedIds(result.response)).toEqual(['m0', 'm1', 'm2']);
  });
});

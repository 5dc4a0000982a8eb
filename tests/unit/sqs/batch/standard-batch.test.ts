import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { SQSRecord } from 'aws-lambda';
import type { SinkFailure, SinkItem } from '../../../../lib/sinks/sink';
import type { DecodeResult, WorkerSink, WorkerSinkResult } from '../../../../lib/sqs/batch';
import { prepareMessages, processStandardBatch, UnknownSinkRefError } from '../../../../lib/sqs/batch';
import { encodePointer, RESERVED_ATTRIBUTE_NAME } from '../../../../lib/sqs/extended-payload';
import { failedIds, sqsEvent } from './sqs-events';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-west-1' });

/** Bodies are `ok:<n>`; anything else is undecodable, `bad:<n>` is invalid. */
function decode(body: string): DecodeResult<number> {
  if (body.startsWith('ok:')) return { ok: true, value: Number(body.slice(3)) };
  if (body.startsWith('bad:')) return { ok: false, error: { kind: 'invalid', field: 'n', reason: 'bad n' } };
  return { ok: false, error: { kind: 'undecodable', reason: 'not ok' } };
}

/** A store that fails the values it is told to, and already holds some. */
class ScriptedSink implements WorkerSink<number> {
  readonly calls: SinkItem<number>[][] = [];
  constructor(private readonly script: { transient?: number[]; permanent?: number[]; held?: number[] } = {}) {}

  write(items: readonly SinkItem<number>[]): Promise<WorkerSinkResult> {
    this.calls.push([...items]);
    const failures: SinkFailure[] = [];
    const duplicates: number[] = [];
    for (const { ref, value } of items) {
      if (this.script.transient?.includes(value)) failures.push({ ref, kind: 'transient', code: 'ProvisionedThroughputExceededException', message: 'slow down' });
      else if (this.script.permanent?.includes(value)) failures.push({ ref, kind: 'permanent', code: 'ConflictingDuplicate', message: 'no' });
      else if (this.script.held?.includes(value)) duplicates.push(ref);
    }
    return Promise.resolve({ failures, duplicates });
  }
}

async function run(bodies: readonly (string | { body: string; messageAttributes: SQSRecord['messageAttributes'] })[], sink: WorkerSink<number>) {
  const event = sqsEvent(bodies);
  return processStandardBatch(await prepareMessages(event.Records, { decode, s3: client }), sink);
}

const pointerAttributes = (bytes: number): SQSRecord['messageAttributes'] => ({
  [RESERVED_ATTRIBUTE_NAME]: { dataType: 'Number', stringValue: String(bytes), stringListValues: [], binaryListValues: [] },
});

beforeEach(() => s3.reset());

describe('processStandardBatch', () => {
  it('answers an empty failure list when every message succeeds, and gives the store the whole batch at once', async () => {
    const sink = new ScriptedSink();
    const result = await run(['ok:1', 'ok:2', 'ok:3'], sink);
    expect(result.response).toEqual({ batchItemFailures: [] });
    expect(sink.calls).toEqual([[{ ref: 0, value: 1 }, { ref: 1, value: 2 }, { ref: 2, value: 3 }]]);
    expect(result.counts).toMatchObject({ messages: 3, applied: 3, duplicates: 0, transient: 0, blocked: 0 });
  });

  it('reports only the failed messages, in batch order: poison and transient alike', async () => {
    const sink = new ScriptedSink({ transient: [4], permanent: [6] });
    const result = await run(['ok:1', 'garbage', 'bad:3', 'ok:4', 'ok:5', 'ok:6'], sink);
    expect(failedIds(result.response)).toEqual(['msg-1', 'msg-2', 'msg-3', 'msg-5']);
    // Poison messages never reach the store.
    expect(sink.calls[0]!.map((i) => i.value)).toEqual([1, 4, 5, 6]);
    expect(result.counts).toEqual({
      messages: 6, applied: 2, duplicates: 0, transient: 1, blocked: 0, fromS3: 0,
      poison: { undecodable: 1, invalid: 1, payload: 0, rejected: 1 },
    });
    expect(result.outcomes[2]).toEqual({ ok: false, failure: { kind: 'poison', poison: 'invalid', code: 'SchemaViolation', message: 'bad n', field: 'n' } });
    expect(result.outcomes[3]).toEqual({ ok: false, failure: { kind: 'transient', code: 'ProvisionedThroughputExceededException', message: 'slow down' } });
  });

  it('counts messages already in the store as duplicates: success, nothing applied', async () => {
    const result = await run(['ok:1', 'ok:2'], new ScriptedSink({ held: [2] }));
    expect(result.response.batchItemFailures).toEqual([]);
    expect(result.counts).toMatchObject({ applied: 1, duplicates: 1 });
  });

  it('reports every message of a batch that failed whole', async () => {
    const result = await run(['nope', 'ok:2', 'bad:3'], new ScriptedSink({ transient: [2] }));
    expect(failedIds(result.response)).toEqual(['msg-0', 'msg-1', 'msg-2']);
  });

  it('does not call the store when nothing is decodable', async () => {
    const sink = new ScriptedSink();
    const result = await run(['x', 'y'], sink);
    expect(sink.calls).toEqual([]);
    expect(failedIds(result.response)).toEqual(['msg-0', 'msg-1']);
  });

  it('refuses a store answer about a ref it was not given', async () => {
    const liar: WorkerSink<number> = { write: () => Promise.resolve({ failures: [{ ref: 1, kind: 'transient', code: 'X', message: 'x' }], duplicates: [] }) };
    await expect(run(['ok:1', 'garbage'], liar)).rejects.toThrow(UnknownSinkRefError);
  });

  describe('Extended Client pointers', () => {
    const pointer = { s3BucketName: 'payloads', s3Key: 'votes/big-1' };
    // The part of an SDK stream body the resolver reads.
    const objectBody = (text: string) => ({ Body: { transformToString: () => Promise.resolve(text) } } as unknown as GetObjectCommandOutput);

    it('reads the body from S3 and keeps the pointer of a message that succeeded', async () => {
      s3.on(GetObjectCommand, { Bucket: 'payloads', Key: 'votes/big-1' }).resolves(objectBody('ok:7'));
      const sink = new ScriptedSink();
      const result = await run([{ body: encodePointer(pointer), messageAttributes: pointerAttributes(4) }, 'ok:8'], sink);
      expect(sink.calls[0]!.map((i) => i.value)).toEqual([7, 8]);
      expect(result.counts).toMatchObject({ applied: 2, fromS3: 1 });
      expect(result.succeededPayloads).toEqual([pointer]);
    });

    it('a missing object or a malformed pointer is poison; an S3 throttle is transient', async () => {
      s3.on(GetObjectCommand, { Key: 'votes/gone' }).rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));
      s3.on(GetObjectCommand, { Key: 'votes/slow' }).rejects(Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }));
      const result = await run([
        { body: encodePointer({ s3BucketName: 'payloads', s3Key: 'votes/gone' }), messageAttributes: pointerAttributes(4) },
        { body: 'ok:2', messageAttributes: pointerAttributes(4) },
        { body: encodePointer({ s3BucketName: 'payloads', s3Key: 'votes/slow' }), messageAttributes: pointerAttributes(4) },
      ], new ScriptedSink());
      expect(result.outcomes.map((o) => (o.ok ? 'ok' : o.failure.kind === 'poison' ? `poison:${o.failure.poison}:${o.failure.code}` : `${o.failure.kind}:${'code' in o.failure ? o.failure.code : ''}`))).toEqual([
        'poison:payload:PayloadNotFoundError',
        'poison:payload:MalformedPointerError',
        'transient:SlowDown',
      ]);
      expect(result.succeededPayloads).toEqual([]);
    });
  });
});

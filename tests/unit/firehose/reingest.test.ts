import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import type { ReingestRecord } from '../../../lib/firehose/reingest';
import {
  FIREHOSE_BATCH_LIMITS,
  KINESIS_BATCH_LIMITS,
  ReingestError,
  firehoseReingester,
  kinesisReingester,
  reingesterForEvent,
} from '../../../lib/firehose/reingest';
import type { PartialRetryOptions } from '../../../lib/aws/partial-retry';
import { DELIVERY_STREAM_ARN, KINESIS_STREAM_ARN } from '../../support/firehose';

const firehoseMock = mockClient(FirehoseClient);
const kinesisMock = mockClient(KinesisClient);

const firehose = new FirehoseClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const kinesis = new KinesisClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

const noWait = (maxAttempts: number): PartialRetryOptions & { sleeps: number[] } => {
  const sleeps: number[] = [];
  return { maxAttempts, sleeps, sleep: (ms: number) => { sleeps.push(ms); return Promise.resolve(); } };
};

const record = (text: string, partitionKey?: string): ReingestRecord => ({ data: Buffer.from(text), ...(partitionKey ? { partitionKey } : {}) });
const texts = (records: readonly { Data?: Uint8Array }[] | undefined): string[] => (records ?? []).map((r) => Buffer.from(r.Data!).toString());

function sdkError(name: string, message = `${name} happened`): Error {
  return Object.assign(new Error(message), { name });
}

beforeEach(() => {
  firehoseMock.reset();
  kinesisMock.reset();
});

describe('firehoseReingester (PutRecordBatch)', () => {
  test('sends every record to the delivery stream in one call when within limits', async () => {
    firehoseMock.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'a' }, { RecordId: 'b' }] });
    await firehoseReingester(firehose, 'stream-a', noWait(3)).reingest([record('one'), record('two')]);
    const calls = firehoseMock.commandCalls(PutRecordBatchCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input.DeliveryStreamName).toBe('stream-a');
    expect(texts(calls[0]!.args[0].input.Records)).toEqual(['one', 'two']);
  });

  test('a failure count the entries do not name: resends the whole batch rather than lose any', async () => {
    firehoseMock
      .on(PutRecordBatchCommand)
      .resolvesOnce({ FailedPutCount: 1, RequestResponses: [{ RecordId: 'id-a' }, { RecordId: 'id-b' }] })
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'id-a' }, { RecordId: 'id-b' }] });
    await firehoseReingester(firehose, 'stream-a', noWait(3)).reingest([record('a'), record('b')]);
    const calls = firehoseMock.commandCalls(PutRecordBatchCommand);
    expect(calls).toHaveLength(2);
    expect(texts(calls[1]!.args[0].input.Records)).toEqual(['a', 'b']);
  });

  test('does not call the API for no records', async () => {
    await firehoseReingester(firehose, 'stream-a', noWait(3)).reingest([]);
    expect(firehoseMock.commandCalls(PutRecordBatchCommand)).toHaveLength(0);
  });

  test('partial failure: resends only the failed entries, then succeeds', async () => {
    firehoseMock
      .on(PutRecordBatchCommand)
      .resolvesOnce({
        FailedPutCount: 2,
        RequestResponses: [
          { RecordId: 'id-a' },
          { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' },
          { RecordId: 'id-c' },
          { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' },
        ],
      })
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'id-b' }, { RecordId: 'id-d' }] });
    const retry = noWait(3);
    await firehoseReingester(firehose, 'stream-a', retry).reingest(['a', 'b', 'c', 'd'].map((t) => record(t)));
    const calls = firehoseMock.commandCalls(PutRecordBatchCommand);
    expect(calls).toHaveLength(2);
    expect(texts(calls[0]!.args[0].input.Records)).toEqual(['a', 'b', 'c', 'd']);
    expect(texts(calls[1]!.args[0].input.Records)).toEqual(['b', 'd']);
    expect(retry.sleeps).toHaveLength(1);
  });

  test('persistent partial failure: ReingestError with the count of records still failing', async () => {
    firehoseMock.on(PutRecordBatchCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedPutCount: 1,
      // The last entry of every call fails.
      RequestResponses: input.Records.map((_r, i) => (i === input.Records.length - 1 ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'busy' } : { RecordId: `ok-${i}` })),
    }));
    const retry = noWait(3);
    const error = await firehoseReingester(firehose, 'stream-a', retry).reingest(['a', 'b', 'c'].map((t) => record(t))).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReingestError);
    const reingestError = error as ReingestError;
    // Attempt 1 sends a,b,c (c fails), 2 sends c (fails), 3 sends c (fails).
    expect(reingestError.failed.map((f) => Buffer.from(f.entry.data).toString())).toEqual(['c']);
    expect(reingestError.attempts).toBe(3);
    expect(reingestError.target).toBe('delivery stream stream-a');
    expect(reingestError.message).toBe('1 record(s) could not be re-ingested into delivery stream stream-a after 3 attempt(s): ServiceUnavailableException');
    expect(firehoseMock.commandCalls(PutRecordBatchCommand).map((c) => texts(c.args[0].input.Records))).toEqual([['a', 'b', 'c'], ['c'], ['c']]);
    expect(retry.sleeps).toHaveLength(2);
  });

  test('a thrown SDK error counts as every record failing, with the error name as the code', async () => {
    firehoseMock.on(PutRecordBatchCommand).rejects(sdkError('ServiceUnavailableException'));
    const promise = firehoseReingester(firehose, 'stream-a', noWait(2)).reingest(['a', 'b'].map((t) => record(t)));
    await expect(promise).rejects.toThrow(ReingestError);
    await expect(promise).rejects.toMatchObject({ attempts: 2, failed: [{ errorCode: 'ServiceUnavailableException' }, { errorCode: 'ServiceUnavailableException' }] });
    await expect(promise).rejects.toThrow('2 record(s) could not be re-ingested into delivery stream stream-a after 2 attempt(s)');
    expect(firehoseMock.commandCalls(PutRecordBatchCommand).map((c) => texts(c.args[0].input.Records))).toEqual([['a', 'b'], ['a', 'b']]);
  });

  test('a thrown error, then success on retry, resolves', async () => {
    firehoseMock.on(PutRecordBatchCommand).rejectsOnce(sdkError('TimeoutError')).resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'x' }] });
    await expect(firehoseReingester(firehose, 'stream-a', noWait(2)).reingest([record('a')])).resolves.toBeUndefined();
    expect(firehoseMock.commandCalls(PutRecordBatchCommand)).toHaveLength(2);
  });

  test('chunks at 500 records', async () => {
    firehoseMock.on(PutRecordBatchCommand).callsFake((input: { Records: unknown[] }) => ({ FailedPutCount: 0, RequestResponses: input.Records.map(() => ({ RecordId: 'x' })) }));
    const records = Array.from({ length: 1001 }, (_, i) => record(`r${i}`));
    await firehoseReingester(firehose, 'stream-a', noWait(1)).reingest(records);
    const calls = firehoseMock.commandCalls(PutRecordBatchCommand);
    expect(calls.map((c) => c.args[0].input.Records!.length)).toEqual([500, 500, 1]);
    // In order, none lost or repeated.
    expect(calls.flatMap((c) => texts(c.args[0].input.Records))).toEqual(records.map((_, i) => `r${i}`));
    expect(FIREHOSE_BATCH_LIMITS.maxRecords).toBe(500);
  });

  test('chunks at 4 MiB of data per call', async () => {
    firehoseMock.on(PutRecordBatchCommand).callsFake((input: { Records: unknown[] }) => ({ FailedPutCount: 0, RequestResponses: input.Records.map(() => ({ RecordId: 'x' })) }));
    const size = 1000 * 1024; // Firehose's largest record
    const records = Array.from({ length: 9 }, (_, i) => ({ data: Buffer.alloc(size, i) }));
    await firehoseReingester(firehose, 'stream-a', noWait(1)).reingest(records);
    const calls = firehoseMock.commandCalls(PutRecordBatchCommand);
    const batchBytes = calls.map((c) => c.args[0].input.Records!.reduce((sum, r) => sum + r.Data!.byteLength, 0));
    expect(calls.map((c) => c.args[0].input.Records!.length)).toEqual([4, 4, 1]);
    for (const bytes of batchBytes) expect(bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(calls.flatMap((c) => c.args[0].input.Records!.map((r) => r.Data![0]))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test('a batch exactly at 4 MiB is one call', async () => {
    firehoseMock.on(PutRecordBatchCommand).callsFake((input: { Records: unknown[] }) => ({ FailedPutCount: 0, RequestResponses: input.Records.map(() => ({ RecordId: 'x' })) }));
    const records = Array.from({ length: 4 }, () => ({ data: Buffer.alloc(1024 * 1024) }));
    await firehoseReingester(firehose, 'stream-a', noWait(1)).reingest(records);
    expect(firehoseMock.commandCalls(PutRecordBatchCommand)).toHaveLength(1);
  });

  test('a later chunk failing throws after the earlier chunks were sent', async () => {
    firehoseMock
      .on(PutRecordBatchCommand)
      .resolvesOnce({ FailedPutCount: 0, RequestResponses: Array.from({ length: 500 }, () => ({ RecordId: 'x' })) })
      .rejects(sdkError('AccessDeniedException'));
    const records = Array.from({ length: 503 }, (_, i) => record(`r${i}`));
    await expect(firehoseReingester(firehose, 'stream-a', noWait(2)).reingest(records)).rejects.toMatchObject({
      name: 'ReingestError',
      failed: expect.arrayContaining([expect.objectContaining({ errorCode: 'AccessDeniedException' })]) as unknown,
    });
    expect(firehoseMock.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input.Records!.length)).toEqual([500, 3, 3]);
  });
});

describe('kinesisReingester (PutRecords)', () => {
  test('keeps each record partition key; a missing key gets a fixed one', async () => {
    kinesisMock.on(PutRecordsCommand).resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1', ShardId: 's' }, { SequenceNumber: '2', ShardId: 's' }] });
    await kinesisReingester(kinesis, 'source', noWait(1)).reingest([record('a', 'user-1'), record('b')]);
    const input = kinesisMock.commandCalls(PutRecordsCommand)[0]!.args[0].input;
    expect(input.StreamName).toBe('source');
    expect(input.Records!.map((r) => r.PartitionKey)).toEqual(['user-1', 'reingested']);
    expect(texts(input.Records)).toEqual(['a', 'b']);
  });

  test('partial failure: resends only the failed records, with their partition keys', async () => {
    kinesisMock
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 1,
        Records: [
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' },
          { SequenceNumber: '2', ShardId: 's' },
          { SequenceNumber: '3', ShardId: 's' },
        ],
      })
      .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '4', ShardId: 's' }] });
    await kinesisReingester(kinesis, 'source', noWait(3)).reingest([record('a', 'k-a'), record('b', 'k-b'), record('c', 'k-c')]);
    const calls = kinesisMock.commandCalls(PutRecordsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args[0].input.Records!.map((r) => [Buffer.from(r.Data!).toString(), r.PartitionKey])).toEqual([['a', 'k-a']]);
  });

  test('persistent failure: ReingestError naming the stream, the count and the code', async () => {
    kinesisMock.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({
      FailedRecordCount: input.Records.length,
      Records: input.Records.map(() => ({ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' })),
    }));
    const promise = kinesisReingester(kinesis, 'source', noWait(4)).reingest([record('a', 'k'), record('b', 'k')]);
    await expect(promise).rejects.toThrow(ReingestError);
    await expect(promise).rejects.toThrow('2 record(s) could not be re-ingested into Kinesis stream source after 4 attempt(s): ProvisionedThroughputExceededException');
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(4);
  });

  test('a thrown SDK error counts as every record failing', async () => {
    kinesisMock.on(PutRecordsCommand).rejects(sdkError('ResourceNotFoundException'));
    await expect(kinesisReingester(kinesis, 'source', noWait(2)).reingest([record('a', 'k')])).rejects.toMatchObject({
      name: 'ReingestError',
      attempts: 2,
      failed: [{ errorCode: 'ResourceNotFoundException' }],
    });
  });

  test('chunks at 500 records and at 5 MiB counting partition keys', async () => {
    kinesisMock.on(PutRecordsCommand).callsFake((input: { Records: unknown[] }) => ({ FailedRecordCount: 0, Records: input.Records.map(() => ({ SequenceNumber: '1' })) }));
    await kinesisReingester(kinesis, 'source', noWait(1)).reingest(Array.from({ length: 600 }, (_, i) => record(`r${i}`, 'k')));
    expect(kinesisMock.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records!.length)).toEqual([500, 100]);

    kinesisMock.resetHistory();
    // Five records of exactly 1 MiB including the key: 5 MiB, one call; a sixth needs a second.
    const key = 'partition-key';
    const data = (): Buffer => Buffer.alloc(1024 * 1024 - Buffer.byteLength(key));
    await kinesisReingester(kinesis, 'source', noWait(1)).reingest(Array.from({ length: 6 }, () => ({ data: data(), partitionKey: key })));
    expect(kinesisMock.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records!.length)).toEqual([5, 1]);
    expect(KINESIS_BATCH_LIMITS.maxBytes).toBe(5 * 1024 * 1024);
  });
});

describe('reingesterForEvent', () => {
  const clients = { firehose: () => firehose, kinesis: () => kinesis };

  test('Direct PUT: PutRecordBatch into the delivery stream named in the event ARN', async () => {
    firehoseMock.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'x' }] });
    await reingesterForEvent({ deliveryStreamArn: DELIVERY_STREAM_ARN }, clients, noWait(1)).reingest([record('a')]);
    expect(firehoseMock.commandCalls(PutRecordBatchCommand)[0]!.args[0].input.DeliveryStreamName).toBe('shardline-test-clickstream');
    expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  test('Kinesis source: PutRecords into the source stream named in sourceKinesisStreamArn', async () => {
    kinesisMock.on(PutRecordsCommand).resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1' }] });
    await reingesterForEvent({ deliveryStreamArn: DELIVERY_STREAM_ARN, sourceKinesisStreamArn: KINESIS_STREAM_ARN }, clients, noWait(1)).reingest([record('a', 'pk-1')]);
    const input = kinesisMock.commandCalls(PutRecordsCommand)[0]!.args[0].input;
    expect(input.StreamName).toBe('shardline-test-source');
    expect(input.Records![0]!.PartitionKey).toBe('pk-1');
    expect(firehoseMock.commandCalls(PutRecordBatchCommand)).toHaveLength(0);
  });

  test('only the client it needs is created', () => {
    const made: string[] = [];
    const lazy = { firehose: () => (made.push('firehose'), firehose), kinesis: () => (made.push('kinesis'), kinesis) };
    reingesterForEvent({ deliveryStreamArn: DELIVERY_STREAM_ARN, sourceKinesisStreamArn: KINESIS_STREAM_ARN }, lazy);
    expect(made).toEqual(['kinesis']);
  });

  test('rejects ARNs of the wrong kind', () => {
    expect(() => reingesterForEvent({ deliveryStreamArn: 'arn:aws:s3:::bucket' }, clients)).toThrow(TypeError);
    expect(() => reingesterForEvent({ deliveryStreamArn: DELIVERY_STREAM_ARN, sourceKinesisStreamArn: 'arn:aws:sqs:eu-west-1:0:q' }, clients)).toThrow(TypeError);
  });
});

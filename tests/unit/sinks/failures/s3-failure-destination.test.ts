import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { PoisonRecord } from '../../../../lib/sinks/failures/failure-destination';
import type { PoisonRecordDocument } from '../../../../lib/sinks/failures/s3-failure-destination';
import { FailureDestinationError, poisonRecordKey, S3FailureDestination } from '../../../../lib/sinks/failures/s3-failure-destination';

const s3 = mockClient(S3Client);
beforeEach(() => s3.reset());

const poison = (sequence: string, sub: number, data: Buffer): PoisonRecord => ({
  origin: { eventSourceArn: 'arn:aws:kinesis:eu-west-1:1:stream/t', shardId: 'shardId-000000000001', sequenceNumber: sequence, subSequenceNumber: sub, partitionKey: 'sensor-0001', arrivalMs: Date.UTC(2026, 10, 25, 23, 59, 59) },
  data,
  reason: { kind: 'invalid', field: 'temperature_c', message: 'must be <= 125, got 400' },
});

describe('S3FailureDestination', () => {
  const destination = new S3FailureDestination({ s3: new S3Client({ region: 'eu-west-1' }), bucket: 'data', prefix: 'failed/kinesis-to-dynamodb/', functionName: 'fn' });

  it('writes one object per record, keyed by arrival day, shard, sequence and sub-sequence number', async () => {
    s3.on(PutObjectCommand).resolves({});
    await destination.write([poison('111', 0, Buffer.from('{"a":1}')), poison('222', 3, Buffer.from([0xff, 0xfe]))]);
    const calls = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Key).sort()).toEqual([
      'failed/kinesis-to-dynamodb/2026/11/25/shardId-000000000001/111-0.json',
      'failed/kinesis-to-dynamodb/2026/11/25/shardId-000000000001/222-3.json',
    ]);
    const documents = calls.map((c) => JSON.parse(c.Body as string) as PoisonRecordDocument);
    const text = documents.find((d) => d.origin.sequenceNumber === '111')!;
    expect(text).toMatchObject({ function: 'fn', dataText: '{"a":1}', reason: { kind: 'invalid', field: 'temperature_c' }, origin: { arrivalTime: '2026-11-25T23:59:59.000Z' } });
    expect(Buffer.from(text.dataBase64, 'base64').toString()).toBe('{"a":1}');
    // Bytes that are not UTF-8 are kept in base64 only.
    const binary = documents.find((d) => d.origin.sequenceNumber === '222')!;
    expect(binary.dataText).toBeUndefined();
    expect(Buffer.from(binary.dataBase64, 'base64')).toEqual(Buffer.from([0xff, 0xfe]));
  });

  it('gives a replayed record the same key (no copies)', () => {
    const record = poison('333', 1, Buffer.from('x'));
    expect(poisonRecordKey('p/', record)).toBe(poisonRecordKey('p/', { ...record, reason: { kind: 'rejected', message: 'other' } }));
  });

  it('fails when any object cannot be written, after trying all of them', async () => {
    s3.on(PutObjectCommand).resolvesOnce({}).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const error = await destination.write([poison('1', 0, Buffer.from('a')), poison('2', 0, Buffer.from('b')), poison('3', 0, Buffer.from('c'))]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FailureDestinationError);
    expect(error).toMatchObject({ failed: 2, total: 3 });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(3);
  });
});

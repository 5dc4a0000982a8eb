import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, S3Client, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import type { Message } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import {
  deletePayload,
  ExtendedPayloadError,
  MalformedPointerError,
  PayloadNotFoundError,
  PayloadSizeMismatchError,
  resolveMessageBody,
} from '../../../../lib/sqs/extended-payload';

interface Written {
  readonly s3Key: string;
  readonly lambdaRecord: SQSRecord;
  readonly receiveMessageResponse?: { readonly Messages: Message[] };
}
interface PointerFixture {
  readonly payload: string;
  readonly payloadBytes: number;
  readonly bucket: string;
  readonly java: Written;
  readonly javaLegacy: Written;
  readonly python: Written;
}

const fixture = JSON.parse(readFileSync(join(__dirname, '../../../fixtures/sqs-extended-client/pointer-messages.json'), 'utf8')) as PointerFixture;
const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const objectBody = (text: string): GetObjectCommandOutput => ({ Body: { transformToString: () => Promise.resolve(text) } }) as unknown as GetObjectCommandOutput;
const s3Error = (name: string, status: number): Error => Object.assign(new Error(`${name} happened`), { name, $fault: 'client', $metadata: { httpStatusCode: status } });

beforeEach(() => s3Mock.reset());

describe('resolveMessageBody', () => {
  test('decodes the Java client’s pointer message from a Lambda SQS record and reads the payload', async () => {
    s3Mock.on(GetObjectCommand, { Bucket: fixture.bucket, Key: fixture.java.s3Key }).resolves(objectBody(fixture.payload));
    const resolved = await resolveMessageBody(fixture.java.lambdaRecord, s3);
    expect(resolved).toEqual({ body: fixture.payload, pointer: { s3BucketName: fixture.bucket, s3Key: fixture.java.s3Key } });
    // The size attribute counts UTF-8 bytes, not characters (the payload has ë, ü, ×, €, —).
    expect(fixture.payloadBytes).toBeGreaterThan(fixture.payload.length);
    expect(fixture.java.lambdaRecord.messageAttributes.ExtendedPayloadSize?.stringValue).toBe(String(fixture.payloadBytes));
  });

  test('decodes the same message as ReceiveMessage returns it (SDK shape: StringValue, DataType)', async () => {
    s3Mock.on(GetObjectCommand).resolves(objectBody(fixture.payload));
    const message = fixture.java.receiveMessageResponse!.Messages[0]!;
    const resolved = await resolveMessageBody({ body: message.Body!, messageAttributes: message.MessageAttributes! }, s3);
    expect(resolved.body).toBe(fixture.payload);
    expect(s3Mock.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({ Bucket: fixture.bucket, Key: fixture.java.s3Key });
  });

  test('reads the legacy SQSLargePayloadSize attribute with the Java 1.x pointer class', async () => {
    s3Mock.on(GetObjectCommand, { Key: fixture.javaLegacy.s3Key }).resolves(objectBody(fixture.payload));
    const resolved = await resolveMessageBody(fixture.javaLegacy.lambdaRecord, s3);
    expect(resolved.body).toBe(fixture.payload);
    expect(resolved.pointer?.s3Key).toBe(fixture.javaLegacy.s3Key);
  });

  test('reads the Python client’s pointer (json.dumps with spaces)', async () => {
    s3Mock.on(GetObjectCommand, { Key: fixture.python.s3Key }).resolves(objectBody(fixture.payload));
    expect((await resolveMessageBody(fixture.python.lambdaRecord, s3)).body).toBe(fixture.payload);
  });

  test('a message without the reserved attribute is returned as it is, even when its body looks like a pointer', async () => {
    const record = { ...fixture.java.lambdaRecord, messageAttributes: { eventType: fixture.java.lambdaRecord.messageAttributes.eventType! } };
    expect(await resolveMessageBody(record, s3)).toEqual({ body: fixture.java.lambdaRecord.body });
    expect(await resolveMessageBody({ body: 'plain' }, s3)).toEqual({ body: 'plain' });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  test('the reserved attribute on a body that is no pointer: MalformedPointerError, without touching S3', async () => {
    await expect(resolveMessageBody({ body: 'not a pointer', messageAttributes: { ExtendedPayloadSize: { DataType: 'Number', StringValue: '5' } } }, s3)).rejects.toBeInstanceOf(MalformedPointerError);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  test.each([
    ['NoSuchKey', 404],
    ['NoSuchBucket', 404],
    ['NotFound', 404],
  ])('a missing object (%s): PayloadNotFoundError naming the pointer', async (name, status) => {
    s3Mock.on(GetObjectCommand).rejects(s3Error(name, status));
    const error = await resolveMessageBody(fixture.java.lambdaRecord, s3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadNotFoundError);
    expect(error).toBeInstanceOf(ExtendedPayloadError);
    expect((error as PayloadNotFoundError).pointer).toEqual({ s3BucketName: fixture.bucket, s3Key: fixture.java.s3Key });
    expect((error as PayloadNotFoundError).reason).toBe('missing-object');
  });

  test('other S3 errors (throttling, access denied) are rethrown as they are: they may pass on a retry', async () => {
    const slowDown = s3Error('SlowDown', 503);
    s3Mock.on(GetObjectCommand).rejects(slowDown);
    const error = await resolveMessageBody(fixture.java.lambdaRecord, s3).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ExtendedPayloadError);
    expect((error as Error).name).toBe('SlowDown');
  });

  test('an object whose UTF-8 length differs from the recorded size: PayloadSizeMismatchError', async () => {
    s3Mock.on(GetObjectCommand).resolves(objectBody(fixture.payload + 'x'));
    const error = await resolveMessageBody(fixture.java.lambdaRecord, s3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadSizeMismatchError);
    expect(error).toMatchObject({ expectedBytes: fixture.payloadBytes, actualBytes: fixture.payloadBytes + 1 });
  });

  test('a size attribute that is not a number is not checked (the clients never read it)', async () => {
    s3Mock.on(GetObjectCommand).resolves(objectBody('abc'));
    const message = { body: fixture.java.lambdaRecord.body, messageAttributes: { ExtendedPayloadSize: { DataType: 'Number', StringValue: 'n/a' } } };
    expect((await resolveMessageBody(message, s3)).body).toBe('abc');
  });
});

describe('deletePayload', () => {
  test('deletes the pointer’s object', async () => {
    s3Mock.on(DeleteObjectCommand).resolves({});
    await deletePayload(s3, { s3BucketName: 'b', s3Key: 'k' });
    expect(s3Mock.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({ Bucket: 'b', Key: 'k' });
  });
});

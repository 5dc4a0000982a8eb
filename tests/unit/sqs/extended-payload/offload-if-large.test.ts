import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import {
  decodePointer,
  EXTENDED_CLIENT_DEFAULT_THRESHOLD_BYTES,
  needsOffload,
  offloadIfLarge,
  OffloadRejectedError,
  POINTER_CLASS,
} from '../../../../lib/sqs/extended-payload';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const fixedKey = (): string => '00000000-0000-4000-8000-000000000001';

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
});

describe('needsOffload (the Java client’s isLarge: body + attributes > threshold)', () => {
  const attrs = { k: { DataType: 'String', StringValue: 'vv' } }; // 1 + 6 + 2 = 9 bytes
  test('counts UTF-8 bytes of the body plus name, type and value of each attribute; strictly greater offloads', () => {
    expect(needsOffload('x'.repeat(91), attrs, { thresholdBytes: 100 })).toBe(false); // 100
    expect(needsOffload('x'.repeat(92), attrs, { thresholdBytes: 100 })).toBe(true); // 101
    expect(needsOffload('€'.repeat(34), undefined, { thresholdBytes: 100 })).toBe(true); // 102 bytes, 34 characters
  });
  test('defaults to the clients’ 256 KiB threshold; alwaysThroughS3 offloads anything', () => {
    expect(EXTENDED_CLIENT_DEFAULT_THRESHOLD_BYTES).toBe(262_144);
    expect(needsOffload('x'.repeat(262_144), undefined, {})).toBe(false);
    expect(needsOffload('x'.repeat(262_145), undefined, {})).toBe(true);
    expect(needsOffload('x', undefined, { alwaysThroughS3: true })).toBe(true);
  });
  test('binary attribute values count by their raw bytes', () => {
    const binary = { b: { DataType: 'Binary', BinaryValue: new Uint8Array(50) } }; // 1 + 6 + 50 = 57 bytes (base64 would be 68)
    expect(needsOffload('', binary, { thresholdBytes: 57 })).toBe(false);
    expect(needsOffload('', binary, { thresholdBytes: 56 })).toBe(true);
  });
});

describe('offloadIfLarge', () => {
  test('a message under the threshold is returned unchanged and S3 is not used', async () => {
    const result = await offloadIfLarge({ body: 'small', attributes: { a: { DataType: 'String', StringValue: 'b' } } }, { s3, bucket: 'payloads', thresholdBytes: 100 });
    expect(result).toEqual({ body: 'small', attributes: { a: { DataType: 'String', StringValue: 'b' } }, payloadBytes: 5 });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  test('a large message becomes the Java client’s pointer message: object in S3, pointer body, ExtendedPayloadSize in bytes', async () => {
    const body = '€'.repeat(50); // 150 bytes
    const result = await offloadIfLarge({ body, attributes: { eventType: { DataType: 'String', StringValue: 'Big' } } }, { s3, bucket: 'payloads', thresholdBytes: 100, newKey: fixedKey });
    expect(result.body).toBe(`["${POINTER_CLASS}",{"s3BucketName":"payloads","s3Key":"${fixedKey()}"}]`);
    expect(result.pointer).toEqual({ s3BucketName: 'payloads', s3Key: fixedKey() });
    expect(result.attributes).toEqual({ eventType: { DataType: 'String', StringValue: 'Big' }, ExtendedPayloadSize: { DataType: 'Number', StringValue: '150' } });
    const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: 'payloads', Key: fixedKey(), Body: body, ContentLength: 150 });
    expect(put.ServerSideEncryption).toBeUndefined();
  });

  test('the key is a random UUID by default, after the prefix when one is set', async () => {
    const result = await offloadIfLarge({ body: 'x' }, { s3, bucket: 'b', alwaysThroughS3: true, keyPrefix: 'sub/folder/' });
    expect(result.pointer!.s3Key).toMatch(/^sub\/folder\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(decodePointer(result.body)).toEqual(result.pointer);
  });

  test('legacy attribute name and SSE-KMS on request', async () => {
    const result = await offloadIfLarge({ body: 'x' }, { s3, bucket: 'b', alwaysThroughS3: true, useLegacyAttributeName: true, sseKmsKeyId: 'alias/payloads', newKey: fixedKey });
    expect(result.attributes).toEqual({ SQSLargePayloadSize: { DataType: 'Number', StringValue: '1' } });
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/payloads' });
  });

  test.each([
    ['a reserved attribute name', { body: 'x', attributes: { ExtendedPayloadSize: { DataType: 'Number', StringValue: '1' } } }, {}, 'reserved-attribute'],
    ['the legacy reserved name', { body: 'x', attributes: { SQSLargePayloadSize: { DataType: 'Number', StringValue: '1' } } }, {}, 'reserved-attribute'],
    [
      'ten attributes (no room for the reserved one)',
      { body: 'x', attributes: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }])) },
      { alwaysThroughS3: true },
      'too-many-attributes',
    ],
    ['attributes alone over the threshold', { body: 'x', attributes: { big: { DataType: 'String', StringValue: 'v'.repeat(200) } } }, { thresholdBytes: 100 }, 'attributes-too-large'],
    ['a key prefix with characters the Java client refuses', { body: 'x' }, { alwaysThroughS3: true, keyPrefix: 'a b/' }, 'invalid-key-prefix'],
  ])('refuses %s (OffloadRejectedError) and writes nothing', async (_what, message, options, reason) => {
    const error = await offloadIfLarge(message, { s3, bucket: 'b', ...options }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OffloadRejectedError);
    expect((error as OffloadRejectedError).reason).toBe(reason);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  test('S3 errors are rethrown unchanged', async () => {
    s3Mock.on(PutObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    await expect(offloadIfLarge({ body: 'x' }, { s3, bucket: 'b', alwaysThroughS3: true })).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePointer, encodePointer, MalformedPointerError, POINTER_CLASS } from '../../../../lib/sqs/extended-payload';

interface PointerFixture {
  readonly bucket: string;
  readonly java: { readonly s3Key: string; readonly lambdaRecord: { readonly body: string } };
  readonly javaLegacy: { readonly s3Key: string; readonly lambdaRecord: { readonly body: string } };
  readonly python: { readonly s3Key: string; readonly lambdaRecord: { readonly body: string } };
}

const fixture = JSON.parse(readFileSync(join(__dirname, '../../../fixtures/sqs-extended-client/pointer-messages.json'), 'utf8')) as PointerFixture;

describe('encodePointer', () => {
  test('writes the body exactly as the Java 2.x client does (Jackson WRAPPER_ARRAY, compact, s3BucketName first)', () => {
    expect(encodePointer({ s3BucketName: fixture.bucket, s3Key: fixture.java.s3Key })).toBe(fixture.java.lambdaRecord.body);
    expect(encodePointer({ s3BucketName: 'b', s3Key: 'k' })).toBe(`["${POINTER_CLASS}",{"s3BucketName":"b","s3Key":"k"}]`);
  });

  test('round-trips keys with a prefix and characters JSON escapes', () => {
    const pointer = { s3BucketName: 'bucket.with.dots', s3Key: 'sub/folder/"quoted"\\key' };
    expect(decodePointer(encodePointer(pointer))).toEqual(pointer);
  });
});

describe('decodePointer', () => {
  test.each([
    ['Java 2.x', fixture.java],
    ['Java 1.x (MessageS3Pointer)', fixture.javaLegacy],
    ['Python (json.dumps, with spaces)', fixture.python],
  ])('reads the pointer written by %s', (_writer, written) => {
    expect(decodePointer(written.lambdaRecord.body)).toEqual({ s3BucketName: fixture.bucket, s3Key: written.s3Key });
  });

  test('ignores unknown fields, as Jackson is configured to', () => {
    expect(decodePointer(`["${POINTER_CLASS}",{"s3BucketName":"b","s3Key":"k","extra":1}]`)).toEqual({ s3BucketName: 'b', s3Key: 'k' });
  });

  test.each([
    ['not JSON', 'hello'],
    ['a JSON object', '{"s3BucketName":"b","s3Key":"k"}'],
    ['a one-element array', `["${POINTER_CLASS}"]`],
    ['an unknown class', '["com.example.Pointer",{"s3BucketName":"b","s3Key":"k"}]'],
    ['no bucket', `["${POINTER_CLASS}",{"s3Key":"k"}]`],
    ['an empty key', `["${POINTER_CLASS}",{"s3BucketName":"b","s3Key":""}]`],
    ['a non-string key', `["${POINTER_CLASS}",{"s3BucketName":"b","s3Key":7}]`],
    ['an array where the pointer belongs', `["${POINTER_CLASS}",["b","k"]]`],
  ])('refuses %s with a MalformedPointerError', (_what, body) => {
    expect(() => decodePointer(body)).toThrow(MalformedPointerError);
    try {
      decodePointer(body);
    } catch (error) {
      expect((error as MalformedPointerError).reason).toBe('malformed-pointer');
      expect((error as MalformedPointerError).name).toBe('MalformedPointerError');
    }
  });
});

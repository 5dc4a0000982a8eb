/** The pointer body of an offloaded message, as the Java and Python Extended Clients write and read it. */
import { LEGACY_POINTER_CLASS, POINTER_CLASS } from './constants';
import { MalformedPointerError } from './errors';

/** Where an offloaded payload lives; field names as on the wire. */
export interface S3Pointer {
  readonly s3BucketName: string;
  readonly s3Key: string;
}

const POINTER_CLASSES: readonly string[] = [POINTER_CLASS, LEGACY_POINTER_CLASS];

/**
 * The body the Java 2.x client writes: Jackson's compact output, fields in declaration order
 * (`s3BucketName`, then `s3Key`). JSON.stringify escapes the same characters for bucket names and keys.
 */
export function encodePointer(pointer: S3Pointer): string {
  return JSON.stringify([POINTER_CLASS, { s3BucketName: pointer.s3BucketName, s3Key: pointer.s3Key }]);
}

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads a pointer body written by Java 2.x (compact JSON), Python (`json.dumps`, with spaces) or
 * Java 1.x (`MessageS3Pointer` class name). Unknown fields are ignored, as Jackson is configured to.
 * @throws {MalformedPointerError} when the body is not such a pointer.
 */
export function decodePointer(body: string): S3Pointer {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new MalformedPointerError(`the body is not JSON (${(error as Error).message})`, { cause: error });
  }
  if (!Array.isArray(value) || value.length !== 2) throw new MalformedPointerError('the body is not a two-element JSON array [class, pointer]');
  const [className, fields] = value as [unknown, unknown];
  if (typeof className !== 'string' || !POINTER_CLASSES.includes(className)) {
    throw new MalformedPointerError(`unknown pointer class ${JSON.stringify(className)} (expected ${POINTER_CLASSES.join(' or ')})`);
  }
  if (!isObject(fields)) throw new MalformedPointerError('the pointer element is not a JSON object');
  const { s3BucketName, s3Key } = fields;
  if (typeof s3BucketName !== 'string' || s3BucketName === '') throw new MalformedPointerError('the pointer has no s3BucketName');
  if (typeof s3Key !== 'string' || s3Key === '') throw new MalformedPointerError('the pointer has no s3Key');
  return { s3BucketName, s3Key };
}

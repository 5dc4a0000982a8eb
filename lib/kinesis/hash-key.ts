/**
 * Kinesis hash keys: a partition key maps to the 128-bit unsigned big-endian integer of the MD5
 * of its UTF-8 bytes, and a record goes to the open shard whose hash key range holds it (or
 * holds its explicit hash key, which overrides the partition key's).
 * @see https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecordsRequestEntry.html
 */
import { createHash } from 'node:crypto';

/** Largest hash key: 2^128 − 1. */
export const MAX_HASH_KEY = (1n << 128n) - 1n;

/** Longest partition key, in characters (UTF-16 code units, see {@link partitionKeyProblem}). */
export const MAX_PARTITION_KEY_LENGTH = 256;

/** The hash key Kinesis derives from a partition key. */
export function partitionKeyHash(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

/** {@link partitionKeyHash} as the decimal string Kinesis APIs use (e.g. for `ExplicitHashKey`). */
export function partitionKeyHashString(partitionKey: string): string {
  return partitionKeyHash(partitionKey).toString(10);
}

/** The hash key that places a record: its explicit hash key if it has one, else its partition key's. */
export function effectiveHashKey(partitionKey: string, explicitHashKey?: string): bigint {
  return explicitHashKey === undefined ? partitionKeyHash(partitionKey) : BigInt(explicitHashKey);
}

// A lone surrogate has no UTF-8 form: it would be hashed (and sent) as U+FFFD, not as given.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Why `partitionKey` is not a valid Kinesis partition key, or `undefined` when it is: 1–256
 * characters of well-formed Unicode. AWS documents "256 characters" without saying which unit;
 * we count UTF-16 code units (as the Java KPL does), the stricter reading, because an entry the
 * service rejects fails its whole `PutRecords` request.
 */
export function partitionKeyProblem(partitionKey: unknown): string | undefined {
  if (typeof partitionKey !== 'string') return 'partition key must be a string';
  if (partitionKey.length === 0) return 'partition key must not be empty';
  if (partitionKey.length > MAX_PARTITION_KEY_LENGTH) return `partition key of ${partitionKey.length} characters exceeds ${MAX_PARTITION_KEY_LENGTH}`;
  if (LONE_SURROGATE.test(partitionKey)) return 'partition key holds a lone UTF-16 surrogate';
  return undefined;
}

export const isValidPartitionKey = (partitionKey: unknown): partitionKey is string => partitionKeyProblem(partitionKey) === undefined;

// The API's pattern for ExplicitHashKey: no sign, no leading zero, at most 39 digits.
const HASH_KEY_PATTERN = /^(0|[1-9]\d{0,38})$/;

/**
 * Why `explicitHashKey` is not a valid explicit hash key, or `undefined` when it is: a decimal
 * integer in 0…2^128−1 written as the API's pattern `0|([1-9]\d{0,38})` requires.
 */
export function explicitHashKeyProblem(explicitHashKey: unknown): string | undefined {
  if (typeof explicitHashKey !== 'string') return 'explicit hash key must be a string';
  if (!HASH_KEY_PATTERN.test(explicitHashKey)) return 'explicit hash key must be a decimal integer without sign or leading zeros';
  if (BigInt(explicitHashKey) > MAX_HASH_KEY) return 'explicit hash key exceeds 2^128 - 1';
  return undefined;
}

export const isValidExplicitHashKey = (explicitHashKey: unknown): explicitHashKey is string => explicitHashKeyProblem(explicitHashKey) === undefined;

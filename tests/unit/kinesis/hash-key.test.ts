import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  MAX_HASH_KEY,
  effectiveHashKey,
  explicitHashKeyProblem,
  isValidExplicitHashKey,
  isValidPartitionKey,
  partitionKeyHash,
  partitionKeyHashString,
  partitionKeyProblem,
} from '../../../lib/kinesis/hash-key';

describe('hash keys', () => {
  test('a partition key hashes to the MD5 of its UTF-8 bytes, as an unsigned big-endian integer', () => {
    // MD5("a") = 0cc175b9c0f1b6a831c399e269772661
    expect(partitionKeyHash('a')).toBe(0x0cc175b9c0f1b6a831c399e269772661n);
    expect(partitionKeyHashString('a')).toBe(BigInt('0x0cc175b9c0f1b6a831c399e269772661').toString());
    // A digest with the top bit set stays positive (unsigned).
    const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => createHash('md5').update(k).digest()[0]! >= 0x80)!;
    expect(partitionKeyHash(key)).toBeGreaterThan(1n << 127n);
    expect(partitionKeyHash('é')).toBe(BigInt(`0x${createHash('md5').update(Buffer.from([0xc3, 0xa9])).digest('hex')}`));
  });

  test('hashes always lie in 0…2^128−1', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, unit: 'grapheme' }), (key) => {
      const hash = partitionKeyHash(key);
      expect(hash >= 0n && hash <= MAX_HASH_KEY).toBe(true);
    }));
  });

  test('the explicit hash key, when present, overrides the partition key', () => {
    expect(effectiveHashKey('a')).toBe(partitionKeyHash('a'));
    expect(effectiveHashKey('a', '5')).toBe(5n);
  });

  test('partition keys: 1–256 characters of well-formed Unicode', () => {
    expect(isValidPartitionKey('p')).toBe(true);
    expect(isValidPartitionKey('k'.repeat(256))).toBe(true);
    expect(isValidPartitionKey('日'.repeat(256))).toBe(true);
    expect(partitionKeyProblem('')).toMatch(/empty/);
    expect(partitionKeyProblem('k'.repeat(257))).toMatch(/257/);
    // 129 astral characters: 258 UTF-16 units, refused (the stricter count).
    expect(isValidPartitionKey('😀'.repeat(129))).toBe(false);
    expect(partitionKeyProblem('a\uDC00b')).toMatch(/surrogate/);
    expect(partitionKeyProblem(42)).toMatch(/string/);
  });

  test('explicit hash keys: decimal, no sign or leading zero, at most 2^128−1', () => {
    for (const good of ['0', '1', '85070591730234615865843651857942052864', MAX_HASH_KEY.toString()]) expect(isValidExplicitHashKey(good)).toBe(true);
    for (const bad of ['', '-1', '+1', '01', '1.5', '1e3', ' 1', (MAX_HASH_KEY + 1n).toString(), '9'.repeat(40)]) expect(isValidExplicitHashKey(bad)).toBe(false);
    expect(explicitHashKeyProblem((MAX_HASH_KEY + 1n).toString())).toMatch(/2\^128/);
    expect(explicitHashKeyProblem(5)).toMatch(/string/);
  });
});

import fc from 'fast-check';
import { chunkByCountAndBytes } from '../../../lib/aws/chunk';

describe('chunkByCountAndBytes', () => {
  const size = (n: number): number => n;

  test('splits at the count limit', () => {
    expect(chunkByCountAndBytes([1, 1, 1, 1, 1], 2, 100, size)).toEqual([[1, 1], [1, 1], [1]]);
  });

  test('splits at the byte limit; an exact fit stays in one chunk', () => {
    expect(chunkByCountAndBytes([4, 6, 5, 5, 1], 10, 10, size)).toEqual([[4, 6], [5, 5], [1]]);
  });

  test('no items, no chunks', () => {
    expect(chunkByCountAndBytes([], 10, 10, size)).toEqual([]);
  });

  test('an item larger than the byte limit is an error', () => {
    expect(() => chunkByCountAndBytes([1, 11], 10, 10, size)).toThrow(RangeError);
  });

  test('chunks keep order, respect both limits, and are not split early (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 50, max: 300 }), (items, maxCount, maxBytes) => {
        const chunks = chunkByCountAndBytes(items, maxCount, maxBytes, size);
        expect(chunks.flat()).toEqual(items);
        chunks.forEach((chunk, i) => {
          expect(chunk.length).toBeGreaterThan(0);
          expect(chunk.length).toBeLessThanOrEqual(maxCount);
          const bytes = chunk.reduce((a, b) => a + b, 0);
          expect(bytes).toBeLessThanOrEqual(maxBytes);
          // Greedy: the next chunk's first item would not have fitted in this one.
          const next = chunks[i + 1];
          if (next) expect(chunk.length === maxCount || bytes + next[0]! > maxBytes).toBe(true);
        });
      }),
    );
  });
});

/** Splits items, in order, into batches within a count limit and a byte limit. */
export function chunkByCountAndBytes<T>(items: readonly T[], maxCount: number, maxBytes: number, bytesOf: (item: T) => number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = bytesOf(item);
    if (size > maxBytes) throw new RangeError(`an item of ${size} bytes exceeds the batch limit of ${maxBytes} bytes`);
    if (current.length === maxCount || bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

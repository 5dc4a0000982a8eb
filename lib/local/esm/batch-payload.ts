/**
 * Lambda's 6 MB limit on a synchronous invocation's payload, as event source mappings apply
 * it: a batch takes records in order while its `{"Records":[…]}` JSON stays within the limit
 * and its size within `batchSize`; a single record bigger than the limit still goes alone.
 */

export const MAX_INVOCATION_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** `{"Records":[` and `]}` around the entries. */
const EVENT_ENVELOPE_BYTES = Buffer.byteLength(JSON.stringify({ Records: [] }));

/** How many of the first items (each with its entry's JSON size) make a batch: at least one. */
export function fittingCount(items: readonly { readonly bytes: number }[], batchSize: number): number {
  let bytes = EVENT_ENVELOPE_BYTES;
  let count = 0;
  for (const item of items) {
    bytes += item.bytes + (count > 0 ? 1 : 0);
    if (count >= batchSize || (count > 0 && bytes > MAX_INVOCATION_PAYLOAD_BYTES)) break;
    count++;
  }
  return count;
}

/** Whether the items already make a full batch (by count or by payload). */
export const isFullBatch = (items: readonly { readonly bytes: number }[], batchSize: number): boolean =>
  items.length >= batchSize || fittingCount(items, batchSize) < items.length;

/**
 * Splits a byte stream into lines at LF (a CR before the LF is dropped), a batch of lines per
 * input chunk. The common case costs one native UTF-8 check per chunk and one decode per line
 * (cheaper than decoding the chunk whole: ASCII lines stay one-byte strings, which V8 parses
 * faster); only a chunk that is not valid UTF-8 is checked line by line, so that the bad line
 * alone is flagged.
 */
import { isUtf8 } from 'node:buffer';

/** What the splitter reads: a Node stream, an async generator, or byte chunks in memory. */
export type ByteSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

/** A line's text, or its bytes when they are not valid UTF-8. */
export type SplitLine = string | { readonly invalidUtf8: Buffer };

export interface LineBatch {
  /** The 1-based number of `lines[0]`. */
  readonly firstLineNumber: number;
  readonly lines: readonly SplitLine[];
  /**
   * The bytes the lines were decoded from, each line followed by its LF (the input's last line
   * may have none), when they are exactly the UTF-8 of `lines` joined by LF: set only for a
   * valid UTF-8 batch without any CR. Lets a caller copy runs of lines without re-encoding them.
   * It may be a view of the caller's chunk: valid only until the next batch is requested.
   */
  readonly bytes?: Buffer;
}

const LF = 0x0a;
const CR = 0x0d;

/** The batch of whole lines in `data` (which ends just after an LF, or is the input's unterminated tail). */
function batchOf(firstLineNumber: number, data: Buffer): LineBatch {
  const valid = isUtf8(data);
  const hasCr = data.includes(CR);
  const lines: SplitLine[] = [];
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(LF, start);
    if (end === -1) end = data.length;
    const stop = hasCr && end > start && data[end - 1] === CR ? end - 1 : end;
    // Decoding line by line keeps an ASCII line a one-byte string even when its chunk has other text.
    lines.push(valid || isUtf8(data.subarray(start, stop)) ? data.toString('utf8', start, stop) : { invalidUtf8: Buffer.from(data.subarray(start, stop)) });
    start = end + 1;
  }
  return valid && !hasCr ? { firstLineNumber, lines, bytes: data } : { firstLineNumber, lines };
}

/** The lines of `source`, numbered from 1. A last line without a trailing LF is still a line. */
export async function* splitLines(source: ByteSource): AsyncGenerator<LineBatch> {
  let carry: Buffer | undefined;
  let next = 1;
  for await (const chunk of source) {
    const piece = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const data = carry ? Buffer.concat([carry, piece]) : piece;
    const last = data.lastIndexOf(LF);
    // Copy the tail so a caller's reused chunk buffer cannot change it under us.
    carry = last + 1 < data.length ? Buffer.from(data.subarray(last + 1)) : undefined;
    if (last === -1) continue;
    const batch = batchOf(next, data.subarray(0, last + 1));
    yield batch;
    next += batch.lines.length;
  }
  if (carry) yield batchOf(next, carry);
}

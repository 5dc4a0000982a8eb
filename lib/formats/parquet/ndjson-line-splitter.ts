/**
 * Splits a byte stream into lines at LF (a CR before the LF is dropped), a batch of lines per
 * input chunk. The common case costs one native UTF-8 check and one decode per chunk; only a
 * chunk that is not valid UTF-8 is checked line by line, so that the bad line alone is flagged.
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
}

const LF = 0x0a;
const CR = 0x0d;

function withoutCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
}

/** Whole lines of `data` (which ends just after an LF, or is the input's unterminated tail). */
function linesOf(data: Buffer, terminated: boolean): SplitLine[] {
  if (isUtf8(data)) {
    const lines = data.toString('utf8').split('\n');
    if (terminated) lines.pop();
    if (data.includes(CR)) for (let i = 0; i < lines.length; i++) if (lines[i]!.endsWith('\r')) lines[i] = lines[i]!.slice(0, -1);
    return lines;
  }
  const lines: SplitLine[] = [];
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(LF, start);
    if (end === -1) end = data.length;
    const line = withoutCr(data.subarray(start, end));
    lines.push(isUtf8(line) ? line.toString('utf8') : { invalidUtf8: Buffer.from(line) });
    start = end + 1;
  }
  return lines;
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
    const lines = linesOf(data.subarray(0, last + 1), true);
    yield { firstLineNumber: next, lines };
    next += lines.length;
  }
  if (carry) yield { firstLineNumber: next, lines: linesOf(carry, false) };
}

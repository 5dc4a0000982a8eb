/**
 * Checks NDJSON lines and copies the good ones to a staging file, one per line, for DuckDB to
 * read. A good line whose values are already canonical is copied as the bytes it was read as
 * (runs of such lines in one copy, a whole chunk when every line in it is good); only a line
 * whose timestamp was re-spelled is re-serialised. Writes go out in ~1 MB pieces, so memory
 * stays flat whatever the input size.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { DatasetSchema } from '../../schemas/dataset-schema';
import { LINE_AS_IS, LINE_SKIPPED, NdjsonLineChecker } from './ndjson-line-check';
import type { NdjsonReaderOptions, NdjsonReport } from './ndjson-line-check';
import type { ByteSource, LineBatch } from './ndjson-line-splitter';
import { splitLines } from './ndjson-line-splitter';

const LF = 0x0a;
const FLUSH_BYTES = 1 << 20;
/** Pieces at least this large (e.g. a whole chunk of good lines) go to the file as they are. */
const DIRECT_BYTES = FLUSH_BYTES >> 1;

/**
 * A file written in large pieces: small ones gathered in one reusable buffer and written once it
 * holds `FLUSH_BYTES`, large ones written straight from the caller's bytes.
 */
class StagingFile {
  private readonly buffer = Buffer.allocUnsafe(2 * FLUSH_BYTES);
  private used = 0;

  constructor(private readonly file: FileHandle) {}

  /** Appends `bytes[start, end)`, then an LF if `terminate`. A large piece is written without a copy. */
  async appendBytes(bytes: Buffer, start: number, end: number, terminate: boolean): Promise<void> {
    if (end - start >= DIRECT_BYTES) {
      await this.flush();
      await this.writeAll(bytes, start, end);
      start = end;
    } else if (end - start + 1 > this.buffer.length - this.used) {
      await this.flush();
    }
    this.used += bytes.copy(this.buffer, this.used, start, end);
    if (terminate) this.buffer[this.used++] = LF;
  }

  /** Appends `text` and an LF. */
  async appendLine(text: string): Promise<void> {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8; measure exactly only when it may not fit.
    if (3 * text.length + 1 > this.buffer.length - this.used) {
      const bytes = Buffer.from(text);
      await this.appendBytes(bytes, 0, bytes.length, true);
      return;
    }
    this.used += this.buffer.write(text, this.used);
    this.buffer[this.used++] = LF;
  }

  /** Writes out what is buffered once it is at least `FLUSH_BYTES`. */
  async flushIfFull(): Promise<void> {
    if (this.used >= FLUSH_BYTES) await this.flush();
  }

  /** Writes out what is buffered. */
  async flush(): Promise<void> {
    await this.writeAll(this.buffer, 0, this.used);
    this.used = 0;
  }

  private async writeAll(bytes: Buffer, start: number, end: number): Promise<void> {
    while (start < end) start += (await this.file.write(bytes, start, end - start)).bytesWritten;
  }
}

/** Checks one batch's lines and appends the good ones to `out`, copying runs of as-is lines from `batch.bytes`. */
async function stageBatch(batch: LineBatch, checker: NdjsonLineChecker, out: StagingFile): Promise<void> {
  const { firstLineNumber, lines, bytes } = batch;
  if (!bytes) {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const verdict = checker.check(line, firstLineNumber + i);
      if (verdict !== LINE_SKIPPED) await out.appendLine(verdict === LINE_AS_IS ? (line as string) : verdict);
    }
    return;
  }
  // Byte offsets of line starts are found only where a run of as-is lines ends (rare).
  let cursorLine = 0;
  let cursorByte = 0;
  const startOf = (index: number): number => {
    for (; cursorLine < index; cursorLine++) cursorByte = bytes.indexOf(LF, cursorByte) + 1;
    return cursorByte;
  };
  let runStart = 0;
  for (let i = 0; i < lines.length; i++) {
    const verdict = checker.check(lines[i]!, firstLineNumber + i);
    if (verdict === LINE_AS_IS) continue;
    if (runStart < i) await out.appendBytes(bytes, startOf(runStart), startOf(i), false);
    if (verdict !== LINE_SKIPPED) await out.appendLine(verdict);
    runStart = i + 1;
  }
  if (runStart < lines.length) {
    // The input's last line may lack its LF.
    await out.appendBytes(bytes, startOf(runStart), bytes.length, bytes[bytes.length - 1] !== LF);
  }
}

/**
 * Checks every line of `source` against `schema` and writes the good ones to a new file at
 * `path` (overwritten), in input order, one line each. Returns the report once done.
 */
export async function stageNdjson(source: ByteSource, schema: DatasetSchema, path: string, options: NdjsonReaderOptions = {}): Promise<NdjsonReport> {
  const checker = new NdjsonLineChecker(schema, options);
  const file = await open(path, 'w');
  try {
    const out = new StagingFile(file);
    for await (const batch of splitLines(source)) {
      await stageBatch(batch, checker, out);
      await out.flushIfFull();
    }
    await out.flush();
  } finally {
    await file.close();
  }
  return checker.report;
}

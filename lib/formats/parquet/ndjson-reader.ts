/**
 * Reads NDJSON rows of a dataset and reports bad lines instead of throwing: each bad line keeps
 * its 1-based line number, the reason and its original text, so the caller can route it to an
 * error prefix while every good line still reaches the writer. Blank lines are skipped.
 */
import type { DatasetSchema } from '../../schemas/dataset-schema';
import type { ByteSource } from './ndjson-line-splitter';
import { splitLines } from './ndjson-line-splitter';
import { LINE_AS_IS, LINE_SKIPPED, NdjsonLineChecker } from './ndjson-line-check';
import type { NdjsonReaderOptions, NdjsonReport } from './ndjson-line-check';

export type { ByteSource } from './ndjson-line-splitter';
export type { BadLine, NdjsonReaderOptions, NdjsonReport } from './ndjson-line-check';

/** A good line: the parsed row and the NDJSON text to hand on (the original line unless a timestamp was re-spelled). */
export interface GoodLine {
  readonly lineNumber: number;
  readonly row: Readonly<Record<string, unknown>>;
  readonly text: string;
}

export interface NdjsonReader {
  /** The good lines in input order, a batch per input chunk (batches may be empty). Iterate once. */
  readonly batches: AsyncIterable<readonly GoodLine[]>;
  /** Filled in while `batches` is iterated. */
  readonly report: NdjsonReport;
}

/** A reader over `source` (e.g. a decompressed S3 object stream) for rows of `schema`. */
export function readNdjson(source: ByteSource, schema: DatasetSchema, options: NdjsonReaderOptions = {}): NdjsonReader {
  const checker = new NdjsonLineChecker(schema, options);
  async function* batches(): AsyncGenerator<readonly GoodLine[]> {
    for await (const { firstLineNumber, lines } of splitLines(source)) {
      const good: GoodLine[] = [];
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        const verdict = checker.check(line, firstLineNumber + i);
        if (verdict === LINE_SKIPPED) continue;
        good.push({ lineNumber: firstLineNumber + i, row: checker.row!, text: verdict === LINE_AS_IS ? (line as string) : verdict });
      }
      yield good;
    }
  }
  return { batches: batches(), report: checker.report };
}

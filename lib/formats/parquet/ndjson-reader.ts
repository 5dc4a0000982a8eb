/**
 * Reads NDJSON rows of a dataset and reports bad lines instead of throwing: each bad line keeps
 * its 1-based line number, the reason and its original text, so the caller can route it to an
 * error prefix while every good line still reaches the writer. Blank lines are skipped.
 */
import type { DatasetSchema } from '../../schemas/dataset-schema';
import type { ByteSource } from './ndjson-line-splitter';
import { splitLines } from './ndjson-line-splitter';
import { compileRowCheck } from './ndjson-row-check';

export type { ByteSource } from './ndjson-line-splitter';

/** A line that is not a row of the schema. */
export interface BadLine {
  /** 1-based, counting every line of the input including blank ones. */
  readonly lineNumber: number;
  readonly reason: string;
  /** The line as it was read, without its line break (its bytes, if they are not UTF-8). */
  readonly line: string | Buffer;
}

/** A good line: the parsed row and the NDJSON text to hand on (the original line unless a timestamp was re-spelled). */
export interface GoodLine {
  readonly lineNumber: number;
  readonly row: Readonly<Record<string, unknown>>;
  readonly text: string;
}

/** Counts for the whole input, complete once the batches have been read to the end. */
export interface NdjsonReport {
  lines: number;
  goodLines: number;
  blankLines: number;
  badLines: {
    /** Every bad line is counted, */
    count: number;
    /** but only the first `maxBadLinesKept` are kept. */
    readonly kept: BadLine[];
  };
}

export interface NdjsonReaderOptions {
  /** Bad lines kept with their text in the report (default 1,000); all are counted. */
  readonly maxBadLinesKept?: number;
}

export interface NdjsonReader {
  /** The good lines in input order, a batch per input chunk (batches may be empty). Iterate once. */
  readonly batches: AsyncIterable<readonly GoodLine[]>;
  /** Filled in while `batches` is iterated. */
  readonly report: NdjsonReport;
}

const BLANK = /^[ \t\r]*$/;

function isBlank(text: string): boolean {
  return text.length === 0 || (text.charCodeAt(0) <= 32 && BLANK.test(text));
}

/** A reader over `source` (e.g. a decompressed S3 object stream) for rows of `schema`. */
export function readNdjson(source: ByteSource, schema: DatasetSchema, options: NdjsonReaderOptions = {}): NdjsonReader {
  const check = compileRowCheck(schema);
  const maxKept = options.maxBadLinesKept ?? 1000;
  const report: NdjsonReport = { lines: 0, goodLines: 0, blankLines: 0, badLines: { count: 0, kept: [] } };
  const bad = (lineNumber: number, reason: string, line: string | Buffer): void => {
    report.badLines.count++;
    if (report.badLines.kept.length < maxKept) report.badLines.kept.push({ lineNumber, reason, line });
  };
  async function* batches(): AsyncGenerator<readonly GoodLine[]> {
    for await (const { firstLineNumber, lines } of splitLines(source)) {
      const good: GoodLine[] = [];
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        const lineNumber = firstLineNumber + i;
        if (typeof line !== 'string') {
          bad(lineNumber, 'invalid UTF-8', line.invalidUtf8);
          continue;
        }
        if (isBlank(line)) {
          report.blankLines++;
          continue;
        }
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch (error) {
          bad(lineNumber, `invalid JSON: ${(error as Error).message}`, line);
          continue;
        }
        const checked = check(value);
        if (!checked.ok) {
          bad(lineNumber, checked.reason, line);
          continue;
        }
        good.push({ lineNumber, row: checked.row, text: checked.canonical ? line : JSON.stringify(checked.row) });
      }
      report.lines = firstLineNumber + lines.length - 1;
      report.goodLines += good.length;
      yield good;
    }
  }
  return { batches: batches(), report };
}

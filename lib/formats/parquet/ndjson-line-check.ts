/**
 * The verdict on one NDJSON line, shared by the reader (which hands good rows on) and the
 * staging writer (which copies good lines to a file): blank, bad (counted and kept in the
 * report with its 1-based number and reason), or good — as it is, or with a re-spelled text.
 */
import type { DatasetSchema } from '../../schemas/dataset-schema';
import type { SplitLine } from './ndjson-line-splitter';
import { compileRowValidator, ROW_CANONICAL } from './ndjson-row-check';
import type { RowValidator } from './ndjson-row-check';

/** A line that is not a row of the schema. */
export interface BadLine {
  /** 1-based, counting every line of the input including blank ones. */
  readonly lineNumber: number;
  readonly reason: string;
  /** The line as it was read, without its line break (its bytes, if they are not UTF-8). */
  readonly line: string | Buffer;
}

/** Counts for the whole input, complete once every line has been checked. */
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

/** A good line whose text is already canonical: hand the line on exactly as it was read. */
export const LINE_AS_IS = 0;
/** A blank or bad line (already counted in the report): hand nothing on. */
export const LINE_SKIPPED = 1;

/** {@link LINE_AS_IS}, {@link LINE_SKIPPED}, or the re-spelled NDJSON text of a good line (a string). */
export type LineVerdict = typeof LINE_AS_IS | typeof LINE_SKIPPED | string;

const BLANK = /^[ \t\r]*$/;

function isBlank(text: string): boolean {
  return text.length === 0 || (text.charCodeAt(0) <= 32 && BLANK.test(text));
}

/** Checks lines of one input in order and keeps its {@link NdjsonReport}. */
export class NdjsonLineChecker {
  readonly report: NdjsonReport = { lines: 0, goodLines: 0, blankLines: 0, badLines: { count: 0, kept: [] } };
  /** The parsed row of the last good line (its timestamps re-spelled in UTC). */
  row: Record<string, unknown> | undefined;
  private readonly validate: RowValidator;
  private readonly maxKept: number;

  constructor(schema: DatasetSchema, options: NdjsonReaderOptions = {}) {
    this.validate = compileRowValidator(schema);
    this.maxKept = options.maxBadLinesKept ?? 1000;
  }

  /** The verdict on `line`, the input's line number `lineNumber`; counts it in the report. */
  check(line: SplitLine, lineNumber: number): LineVerdict {
    if (lineNumber > this.report.lines) this.report.lines = lineNumber;
    if (typeof line !== 'string') return this.bad(lineNumber, 'invalid UTF-8', line.invalidUtf8);
    if (isBlank(line)) {
      this.report.blankLines++;
      return LINE_SKIPPED;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      return this.bad(lineNumber, `invalid JSON: ${(error as Error).message}`, line);
    }
    const verdict = this.validate(value);
    if (typeof verdict === 'string') return this.bad(lineNumber, verdict, line);
    this.report.goodLines++;
    this.row = value as Record<string, unknown>;
    return verdict === ROW_CANONICAL ? LINE_AS_IS : JSON.stringify(value);
  }

  private bad(lineNumber: number, reason: string, line: string | Buffer): typeof LINE_SKIPPED {
    const badLines = this.report.badLines;
    badLines.count++;
    if (badLines.kept.length < this.maxKept) badLines.kept.push({ lineNumber, reason, line });
    return LINE_SKIPPED;
  }
}

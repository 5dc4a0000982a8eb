/**
 * The whole NDJSON → Parquet step: read NDJSON bytes (e.g. a decompressed S3 object), report bad
 * lines, stage the good ones in a temporary NDJSON file (see `stageNdjson`), and let DuckDB turn
 * that file into one Snappy Parquet file. Memory stays flat whatever the input size: lines stream
 * to disk in ~1 MB writes and DuckDB streams the file into row groups.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatasetSchema } from '../../schemas/dataset-schema';
import type { ParquetFileOptions } from './duckdb-parquet-engine';
import { DuckDbParquetEngine } from './duckdb-parquet-engine';
import { ParquetWriteError } from './errors';
import type { NdjsonReport } from './ndjson-line-check';
import type { ByteSource } from './ndjson-line-splitter';
import { stageNdjson } from './ndjson-staging';

export interface ConvertOptions extends ParquetFileOptions {
  /** A long-lived engine (one per Lambda container); without it one is opened and closed per call. */
  readonly engine?: DuckDbParquetEngine;
  /** Where the staging file goes (default the OS temp directory; `/tmp` in Lambda). */
  readonly workDirectory?: string;
  /** Bad lines kept with their bytes (default 1,000); all are counted. */
  readonly maxBadLinesKept?: number;
}

export interface ConvertResult extends NdjsonReport {
  /** Rows in the Parquet file (equal to `goodLines`). */
  readonly rows: number;
  /** Size of the Parquet file. */
  readonly bytes: number;
}

/**
 * Converts NDJSON rows of `schema` into a Parquet file at `outputPath` (overwritten). Bad lines
 * are in the result, not thrown; a file is written even when no line was good (zero rows, full
 * schema). Throws {@link ParquetWriteError} if the file cannot be written or its row count
 * differs from the good lines read.
 */
export async function convertNdjsonToParquet(source: ByteSource, outputPath: string, schema: DatasetSchema, options: ConvertOptions = {}): Promise<ConvertResult> {
  const dir = await mkdtemp(join(options.workDirectory ?? tmpdir(), 'shardline-parquet-'));
  const engine = options.engine ?? (await DuckDbParquetEngine.open());
  try {
    const staged = join(dir, 'rows.ndjson');
    const report = await stageNdjson(source, schema, staged, options.maxBadLinesKept === undefined ? {} : { maxBadLinesKept: options.maxBadLinesKept });
    const written = await engine.convertNdjsonFile(staged, outputPath, schema, options);
    if (written.rows !== report.goodLines) {
      throw new ParquetWriteError(`Parquet file holds ${written.rows} rows but ${report.goodLines} good lines were read`);
    }
    return { ...report, rows: written.rows, bytes: written.bytes };
  } finally {
    if (!options.engine) engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Rows in memory (or from any iterable) → Parquet bytes, for callers that hold typed rows rather
 * than NDJSON text. Rows are checked like NDJSON lines; a bad row fails the call, since rows
 * built in code have no error prefix to go to.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatasetSchema } from '../../schemas/dataset-schema';
import type { ConvertOptions } from './convert-ndjson-to-parquet';
import { convertNdjsonToParquet } from './convert-ndjson-to-parquet';

/** A row given to {@link writeParquet}: the schema's properties with JSON values (timestamps as ISO-8601 strings). */
export type ParquetRow = Readonly<Record<string, string | number | boolean | null>>;

/** A row {@link writeParquet} could not take: its 0-based index in the input and why. */
export class InvalidRowError extends Error {
  override readonly name = 'InvalidRowError';
  constructor(readonly index: number, readonly reason: string) {
    super(`row ${index}: ${reason}`);
  }
}

async function* ndjsonOf(rows: AsyncIterable<ParquetRow> | Iterable<ParquetRow>): AsyncGenerator<string> {
  let chunk = '';
  for await (const row of rows) {
    chunk += JSON.stringify(row) + '\n';
    if (chunk.length >= 1 << 20) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** The Parquet file (Snappy) of `rows`, as bytes. Throws {@link InvalidRowError} on the first bad row. */
export async function writeParquet(rows: AsyncIterable<ParquetRow> | Iterable<ParquetRow>, schema: DatasetSchema, options: Omit<ConvertOptions, 'maxBadLinesKept'> = {}): Promise<Uint8Array> {
  const dir = await mkdtemp(join(options.workDirectory ?? tmpdir(), 'shardline-parquet-out-'));
  try {
    const output = join(dir, 'rows.parquet');
    const result = await convertNdjsonToParquet(ndjsonOf(rows), output, schema, { ...options, maxBadLinesKept: 1 });
    const first = result.badLines.kept[0];
    if (first) throw new InvalidRowError(first.lineNumber - 1, first.reason);
    return new Uint8Array(await readFile(output));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

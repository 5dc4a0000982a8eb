/**
 * NDJSON file → Parquet file through an embedded DuckDB (`@duckdb/node-api`): DuckDB parses the
 * JSON natively and streams it into the Parquet writer, row group by row group, so memory stays
 * bounded by `memoryLimit` whatever the input size. Column names and types come from the
 * dataset schema (via {@link deriveParquetSchema}); nothing is inferred from the data.
 *
 * One engine holds one in-memory DuckDB instance; keep it for the life of the process (a Lambda
 * container) and call {@link DuckDbParquetEngine.close} only when done.
 */
import { stat } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DatasetSchema } from '../../schemas/dataset-schema';
import type { ParquetColumn } from '../../schemas/parquet-schema';
import { deriveParquetSchema } from '../../schemas/parquet-schema';
import { ParquetWriteError, UnsafePathError } from './errors';

/** DuckDB's row-group default; a row group is the unit a writer holds in memory per thread. */
export const DEFAULT_ROW_GROUP_SIZE = 122_880;

export interface DuckDbEngineOptions {
  /** Worker threads; default DuckDB's (one per core). A 1,769 MB Lambda has one vCPU. */
  readonly threads?: number;
  /** Soft cap on DuckDB's buffer memory, e.g. `'400MB'`; beyond it DuckDB spills to `tempDirectory`. */
  readonly memoryLimit?: string;
  /** Where DuckDB may spill; in Lambda it must be under `/tmp`. */
  readonly tempDirectory?: string;
}

export interface ParquetFileOptions {
  /** Rows per row group (default {@link DEFAULT_ROW_GROUP_SIZE}). */
  readonly rowGroupSize?: number;
}

export interface ParquetFileResult {
  /** Rows written, as DuckDB's COPY counted them. */
  readonly rows: number;
  /** Size of the Parquet file. */
  readonly bytes: number;
}

const DUCKDB_TYPES: Readonly<Record<ParquetColumn['kind'], string>> = {
  string: 'VARCHAR',
  integer: 'BIGINT',
  number: 'DOUBLE',
  boolean: 'BOOLEAN',
  // Parquet INT64 TIMESTAMP(isAdjustedToUTC=true, MICROS).
  timestamp: 'TIMESTAMPTZ',
};

/** A SQL string literal. Paths are the only text spliced into SQL; column names come from the schema. */
function sqlString(text: string): string {
  if (text.includes('\0')) throw new UnsafePathError('path contains a NUL character');
  return `'${text.replaceAll("'", "''")}'`;
}

function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The `COPY (SELECT … FROM read_json(…)) TO … (FORMAT parquet …)` statement for a schema. */
export function copyStatement(schema: DatasetSchema, inputPath: string, outputPath: string, options: ParquetFileOptions = {}): string {
  const columns = deriveParquetSchema(schema).columns;
  const rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  if (!Number.isSafeInteger(rowGroupSize) || rowGroupSize < 1) throw new RangeError(`rowGroupSize must be a positive integer, got ${rowGroupSize}`);
  const struct = columns.map((c) => `${sqlString(c.name)}: ${sqlString(DUCKDB_TYPES[c.kind])}`).join(', ');
  const select = columns.map((c) => sqlIdentifier(c.name)).join(', ');
  return `COPY (SELECT ${select} FROM read_json(${sqlString(inputPath)}, format = 'newline_delimited', columns = {${struct}}))`
    + ` TO ${sqlString(outputPath)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${rowGroupSize})`;
}

export class DuckDbParquetEngine {
  private constructor(private readonly instance: DuckDBInstance, private readonly connection: DuckDBConnection) {}

  /** Opens an in-memory DuckDB with UTC as its time zone (zone-less timestamps are UTC, as in Athena). */
  static async open(options: DuckDbEngineOptions = {}): Promise<DuckDbParquetEngine> {
    // json, parquet and icu are linked into the library; never fetch extensions at run time.
    const config: Record<string, string> = { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' };
    if (options.threads !== undefined) config.threads = String(options.threads);
    if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
    if (options.tempDirectory !== undefined) config.temp_directory = options.tempDirectory;
    try {
      const instance = await DuckDBInstance.create(':memory:', config);
      const connection = await instance.connect();
      // Set after connecting: at creation time the (static) icu extension is not loaded yet.
      await connection.run(`SET TimeZone = 'UTC'`);
      return new DuckDbParquetEngine(instance, connection);
    } catch (error) {
      throw new ParquetWriteError(`cannot open DuckDB: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Converts an NDJSON file whose every line is a valid row of `schema` (see `readNdjson`) into
   * a Snappy-compressed Parquet file. A line DuckDB cannot read fails the whole conversion with
   * {@link ParquetWriteError}: nothing is written partially or skipped silently.
   */
  async convertNdjsonFile(inputPath: string, outputPath: string, schema: DatasetSchema, options: ParquetFileOptions = {}): Promise<ParquetFileResult> {
    const sql = copyStatement(schema, inputPath, outputPath, options);
    let rows: number;
    try {
      const reader = await this.connection.runAndReadAll(sql);
      rows = Number(reader.getRowsJS()[0]?.[0] ?? Number.NaN);
    } catch (error) {
      throw new ParquetWriteError(`DuckDB COPY to ${outputPath} failed: ${(error as Error).message}`, { cause: error });
    }
    if (!Number.isSafeInteger(rows)) throw new ParquetWriteError('DuckDB COPY returned no row count');
    return { rows, bytes: (await stat(outputPath)).size };
  }

  /** Releases the connection and the database. The engine cannot be used afterwards. */
  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

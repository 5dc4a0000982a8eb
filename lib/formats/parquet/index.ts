/** NDJSON → Parquet for curated S3 zones: see README.md in this folder for the choice of writer. */
export { convertNdjsonToParquet } from './convert-ndjson-to-parquet';
export type { ConvertOptions, ConvertResult } from './convert-ndjson-to-parquet';
export { DEFAULT_ROW_GROUP_SIZE, DuckDbParquetEngine } from './duckdb-parquet-engine';
export type { DuckDbEngineOptions, ParquetFileOptions, ParquetFileResult } from './duckdb-parquet-engine';
export { ParquetWriteError, UnsafePathError } from './errors';
export { readNdjson } from './ndjson-reader';
export type { BadLine, ByteSource, GoodLine, NdjsonReader, NdjsonReaderOptions, NdjsonReport } from './ndjson-reader';
export { InvalidRowError, writeParquet } from './write-parquet';
export type { ParquetRow } from './write-parquet';

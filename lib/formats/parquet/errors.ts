/** Errors of the Parquet writer. Bad input lines are reported, not thrown; these are failures of the write itself. */

/** The Parquet file could not be written (engine failure, I/O, or a row count that does not add up). */
export class ParquetWriteError extends Error {
  override readonly name = 'ParquetWriteError';
}

/** A path that cannot be handed to the SQL engine (it must be a plain local file path). */
export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';
}

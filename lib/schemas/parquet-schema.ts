/**
 * The Parquet shape of a dataset, derived from its JSON Schema description (never written by
 * hand): one column per schema property, in schema order, with the physical and logical types
 * Athena, Glue and Spark expect from a curated zone.
 *
 * | column kind | physical     | logical                                   |
 * |-------------|--------------|-------------------------------------------|
 * | string      | BYTE_ARRAY   | STRING (UTF-8)                            |
 * | integer     | INT64        | none (plain signed 64-bit)                |
 * | number      | DOUBLE       | none                                      |
 * | boolean     | BOOLEAN      | none                                      |
 * | timestamp   | INT64        | TIMESTAMP(isAdjustedToUTC=true, MICROS)   |
 *
 * Nullable columns are OPTIONAL, the others REQUIRED. The description is library-neutral: each
 * writer maps it to its own terms (see lib/formats/parquet/).
 */
import type { ColumnKind, DatasetSchema } from './dataset-schema';

export type ParquetPhysicalType = 'BYTE_ARRAY' | 'INT64' | 'DOUBLE' | 'BOOLEAN';

/** The Parquet logical type annotation of a column, if any. */
export type ParquetLogicalType =
  | { readonly type: 'STRING' }
  | { readonly type: 'TIMESTAMP'; readonly unit: 'MICROS'; readonly isAdjustedToUTC: true };

export interface ParquetColumn {
  readonly name: string;
  /** The dataset column kind this Parquet column comes from. */
  readonly kind: ColumnKind;
  readonly physicalType: ParquetPhysicalType;
  readonly logicalType?: ParquetLogicalType;
  readonly repetition: 'REQUIRED' | 'OPTIONAL';
}

export interface ParquetSchema {
  readonly dataset: string;
  /** In the order of the dataset schema's `properties`. */
  readonly columns: readonly ParquetColumn[];
  readonly compression: 'SNAPPY';
}

const STRING: ParquetLogicalType = { type: 'STRING' };
const TIMESTAMP_UTC_MICROS: ParquetLogicalType = { type: 'TIMESTAMP', unit: 'MICROS', isAdjustedToUTC: true };

function typesOf(kind: ColumnKind): Pick<ParquetColumn, 'physicalType' | 'logicalType'> {
  switch (kind) {
    case 'string':
      return { physicalType: 'BYTE_ARRAY', logicalType: STRING };
    case 'integer':
      return { physicalType: 'INT64' };
    case 'number':
      return { physicalType: 'DOUBLE' };
    case 'boolean':
      return { physicalType: 'BOOLEAN' };
    case 'timestamp':
      return { physicalType: 'INT64', logicalType: TIMESTAMP_UTC_MICROS };
  }
}

/** The Parquet schema of a dataset, one column per schema property. */
export function deriveParquetSchema(schema: DatasetSchema): ParquetSchema {
  return {
    dataset: schema.name,
    compression: 'SNAPPY',
    columns: schema.columns.map((column) => ({
      name: column.name,
      kind: column.kind,
      ...typesOf(column.kind),
      repetition: column.nullable ? 'OPTIONAL' : 'REQUIRED',
    })),
  };
}

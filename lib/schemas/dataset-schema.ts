/**
 * A dataset's JSON Schema, read once and described in the terms the pipeline needs: the CSV
 * column order and types, and the dynamic-partitioning keys. Every derived shape (CSV decoder,
 * validator, later Parquet/Glue/OpenSearch) starts from this description, never from a copy.
 */

/** The value kinds a column can hold once decoded from text. */
export type ColumnKind = 'string' | 'integer' | 'number' | 'boolean' | 'timestamp';

export interface Column {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly nullable: boolean;
}

/** A Firehose dynamic-partitioning key computed from one field of a row. */
export interface PartitionKeySpec {
  readonly name: string;
  readonly field: string;
  /** `utc-date`: the `YYYY-MM-DD` part of a timestamp column (already normalised to UTC). */
  readonly transform?: 'utc-date';
}

/** The subset of JSON Schema (draft 2020-12) a dataset schema is written in. */
export interface JsonSchemaProperty {
  readonly type: JsonType | readonly JsonType[];
  readonly format?: string;
  readonly enum?: readonly unknown[];
  readonly [keyword: string]: unknown;
}
type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'null';

export interface JsonSchemaDocument {
  readonly $id?: string;
  readonly title?: string;
  readonly type: 'object';
  readonly properties: Readonly<Record<string, JsonSchemaProperty>>;
  readonly required?: readonly string[];
  readonly 'x-shardline'?: {
    readonly partitionKeys?: Readonly<Record<string, { field: string; transform?: 'utc-date' }>>;
  };
  readonly [keyword: string]: unknown;
}

export interface DatasetSchema {
  readonly name: string;
  readonly document: JsonSchemaDocument;
  /** In CSV order: the order of `properties` in the schema file. */
  readonly columns: readonly Column[];
  readonly partitionKeys: readonly PartitionKeySpec[];
}

/** A schema file that the pipeline cannot use; thrown at load time, never per record. */
export class SchemaDefinitionError extends Error {
  override readonly name = 'SchemaDefinitionError';
}

function columnOf(name: string, property: JsonSchemaProperty): Column {
  const types = (Array.isArray(property.type) ? property.type : [property.type]) as readonly JsonType[];
  const nonNull = types.filter((t) => t !== 'null');
  const nullable = nonNull.length !== types.length;
  if (nonNull.length !== 1) {
    throw new SchemaDefinitionError(`column ${name}: expected exactly one non-null type, got ${JSON.stringify(property.type)}`);
  }
  const base = nonNull[0] as Exclude<JsonType, 'null'>;
  const kind: ColumnKind = base === 'string' && property.format === 'date-time' ? 'timestamp' : base;
  return { name, kind, nullable };
}

/** Describes a schema document; throws {@link SchemaDefinitionError} if the pipeline cannot use it. */
export function describeSchema(name: string, document: JsonSchemaDocument): DatasetSchema {
  if (document.type !== 'object' || typeof document.properties !== 'object') {
    throw new SchemaDefinitionError(`schema ${name}: must be an object schema with properties`);
  }
  const columns = Object.entries(document.properties).map(([column, property]) => columnOf(column, property));
  const byName = new Map(columns.map((c) => [c.name, c]));
  const partitionKeys = Object.entries(document['x-shardline']?.partitionKeys ?? {}).map(([key, spec]) => {
    const column = byName.get(spec.field);
    if (!column) throw new SchemaDefinitionError(`schema ${name}: partition key ${key} names unknown field ${spec.field}`);
    // Firehose needs a value for every key of every record: a nullable field cannot be one.
    if (column.nullable) throw new SchemaDefinitionError(`schema ${name}: partition key ${key} uses nullable field ${spec.field}`);
    if (spec.transform === 'utc-date' && column.kind !== 'timestamp') {
      throw new SchemaDefinitionError(`schema ${name}: partition key ${key}: utc-date needs a date-time field`);
    }
    return spec.transform ? { name: key, field: spec.field, transform: spec.transform } : { name: key, field: spec.field };
  });
  return { name, document, columns, partitionKeys };
}

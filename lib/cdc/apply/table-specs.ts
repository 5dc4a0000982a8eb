/**
 * What the applier needs to know of a source table: its primary key (which is the DynamoDB key of
 * its target table: HASH the first key column, RANGE the second if any) and its column types
 * (which decide the attribute types). By default read from the CDC source schema
 * (`schemas/cdc/shop.json`, through lib/cdc/source-tables).
 */
import type { AttributeDefinition, KeySchemaElement } from '@aws-sdk/client-dynamodb';
import type { SourceTable } from '../source-tables';
import { sourceTable } from '../source-tables';
import type { AttributeKind } from './attribute-values';
import { attributeKindOf } from './attribute-values';

export interface ApplyTableSpec {
  /** Primary-key columns in key order: one (HASH) or two (HASH, RANGE). */
  readonly keyColumns: readonly string[];
  /** PostgreSQL type of each known column (`bigint`, `numeric(14,2)`, `text` …). */
  readonly columnTypes: Readonly<Record<string, string>>;
}

/** `(schema, table)` → the table's spec, or undefined for a table the applier must not guess about. */
export type TableSpecOf = (schema: string, table: string) => ApplyTableSpec | undefined;

/** A table's key in the shape CreateTable (and CloudFormation) takes it. */
export interface TargetKeyDefinition {
  readonly KeySchema: readonly KeySchemaElement[];
  readonly AttributeDefinitions: readonly AttributeDefinition[];
}

/** Key attributes are S or N: numeric key columns are N, all others S (a boolean key column cannot be a DynamoDB key; its changes are rejected). */
export const keyKindOf = (pgType: string | undefined): 'S' | 'N' => (pgType !== undefined && attributeKindOf(pgType) === 'N' ? 'N' : 'S');

/** The attribute kind of a known column, or undefined when the spec does not know it. */
export const columnKindOf = (spec: ApplyTableSpec, column: string): AttributeKind | undefined => {
  const type = spec.columnTypes[column];
  return type === undefined ? undefined : attributeKindOf(type);
};

/**
 * The DynamoDB key of a source table's target table: HASH the first key column, RANGE the second.
 * @throws {RangeError} for a key of more than two columns (DynamoDB keys have at most two attributes).
 */
export function targetKeyDefinition(spec: ApplyTableSpec): TargetKeyDefinition {
  const [hash, range, ...rest] = spec.keyColumns;
  if (hash === undefined || rest.length > 0) throw new RangeError(`a DynamoDB key has one or two attributes; the source key is (${spec.keyColumns.join(', ')})`);
  const columns = range === undefined ? [hash] : [hash, range];
  return {
    KeySchema: columns.map((name, i) => ({ AttributeName: name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
    AttributeDefinitions: columns.map((name) => ({ AttributeName: name, AttributeType: keyKindOf(spec.columnTypes[name]) })),
  };
}


/** The spec of a source table of lib/cdc/source-tables. */
export const tableSpecOfSource = (table: SourceTable): ApplyTableSpec => ({
  keyColumns: table.keyColumns,
  columnTypes: Object.fromEntries(table.columns.map((column) => [column.name, column.typeName])),
});

const specs = new Map<SourceTable, ApplyTableSpec>();

/** The default {@link TableSpecOf}: the CDC source tables of schemas/cdc/ (lib/cdc/source-tables). */
export const sourceTableSpecs: TableSpecOf = (schema, table) => {
  const source = sourceTable(schema, table);
  if (source === undefined) return undefined;
  let spec = specs.get(source);
  if (spec === undefined) specs.set(source, (spec = tableSpecOfSource(source)));
  return spec;
};

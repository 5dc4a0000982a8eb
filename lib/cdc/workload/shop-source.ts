/**
 * The DDL of the CDC source database (PostgreSQL schema `shop`), computed from the source-tables
 * contract (schemas/cdc/shop.json through source-tables.ts), never copied by hand.
 */
import { shopTables, type SourceTable, type SourceTables } from '../source-tables';

/** The source description cannot become DDL. */
export class SourceSchemaError extends Error {
  override readonly name = 'SourceSchemaError';
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function identifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) throw new SourceSchemaError(`${what} ${JSON.stringify(name)} is not a plain lower-case identifier`);
  return `"${name}"`;
}

/** `"shop"."customers"`. */
export const qualifiedName = (table: Pick<SourceTable, 'schema' | 'table'>): string => `${identifier(table.schema, 'schema')}.${identifier(table.table, 'table')}`;

/** The tables of a source, in the file's order. */
export const tablesOf = (source: SourceTables = shopTables): SourceTable[] => [...source.tables.values()];

/** A table of the source by name (throws on an unknown one). */
export function sourceTableNamed(name: string, source: SourceTables = shopTables): SourceTable {
  const table = source.tables.get(name);
  if (!table) throw new SourceSchemaError(`no table ${JSON.stringify(name)} in schema ${source.schema}; known: ${[...source.tables.keys()].join(', ')}`);
  return table;
}

/**
 * The statements that create the source schema and tables (idempotent: `IF NOT EXISTS`), with
 * `REPLICA IDENTITY FULL` on every table.
 *
 * Why FULL: DMS itself only needs the primary keys (its PostgreSQL source requires one per table
 * to capture updates and deletes). With the default identity, pgoutput sends the old key only when
 * the key changed and nothing else of the old row; FULL sends the whole old row on every update
 * and delete, so each change carries a complete before image: the replay gets the old key of a
 * primary-key update from it, and unchanged TOASTed values are filled from it. The cost is WAL:
 * every update and delete logs the old row too.
 */
export function sourceDdl(source: SourceTables = shopTables): string[] {
  const statements = [`CREATE SCHEMA IF NOT EXISTS ${identifier(source.schema, 'schema')}`];
  for (const table of source.tables.values()) {
    // typeName is the file's spelling; source-tables.ts has already parsed it as a known PostgreSQL type.
    const columns = table.columns.map((c) => `  ${identifier(c.name, 'column')} ${c.typeName}${c.nullable ? '' : ' NOT NULL'}`);
    columns.push(`  PRIMARY KEY (${table.keyColumns.map((k) => identifier(k, 'column')).join(', ')})`);
    statements.push(`CREATE TABLE IF NOT EXISTS ${qualifiedName(table)} (\n${columns.join(',\n')}\n)`);
    statements.push(`ALTER TABLE ${qualifiedName(table)} REPLICA IDENTITY FULL`);
  }
  return statements;
}

/** A client that runs SQL: `pg`'s `Client` or `PoolClient`. */
export interface SqlRunner {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

/** Creates the source schema and tables (see {@link sourceDdl}) in one transaction. */
export async function createSourceSchema(client: SqlRunner, source: SourceTables = shopTables): Promise<void> {
  await client.query('BEGIN');
  try {
    for (const statement of sourceDdl(source)) await client.query(statement);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * The current rows of a source table in canonical form — what the replayed DynamoDB table must
 * hold once the capture and the replay have caught up.
 */
import type { ClientBase } from 'pg';
import type { RowImage } from '../change-event';
import { queryCanonicalRows } from '../capture/text-rows';
import { shopTables, type SourceTable, type SourceTables } from '../source-tables';
import { qualifiedName, sourceTableNamed } from './shop-source';

/**
 * Every row of `table` (a table of `source`, or its name), ordered by primary key, each value
 * in the canonical text of change-event.ts: values are read as PostgreSQL's text under
 * `TimeZone=UTC` and `DateStyle=ISO` (set for this read only) and typed by column type.
 */
export async function readSourceRows(client: ClientBase, table: SourceTable | string, source: SourceTables = shopTables): Promise<RowImage[]> {
  const definition = typeof table === 'string' ? sourceTableNamed(table, source) : table;
  const columns = definition.columns.map((c) => `"${c.name}"`).join(', ');
  const order = definition.keyColumns.map((k) => `"${k}"`).join(', ');
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await client.query("SET LOCAL TimeZone = 'UTC'");
    await client.query("SET LOCAL DateStyle = 'ISO, YMD'");
    await client.query('SET LOCAL extra_float_digits = 1');
    const rows = await queryCanonicalRows(client, `SELECT ${columns} FROM ${qualifiedName(definition)} ORDER BY ${order}`);
    await client.query('COMMIT');
    return rows;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * The full load: every row of the captured tables as of the slot's exported snapshot, read in
 * batches through a cursor and handed on as `load` changes. With the snapshot, the load plus the
 * slot's stream neither miss nor repeat a row: the snapshot holds exactly the transactions that
 * committed before the slot's first streamed one.
 */
import type { ClientBase } from 'pg';
import type { ChangeEvent, RowChange } from '../change-event';
import { qualifiedTableName, tableKey, type CapturedTable } from './slot';
import { canonicalRows, TEXT_TYPES } from './text-rows';

export interface FullLoadOptions {
  /** A connection in ISO DateStyle (see CANONICAL_SESSION_OPTIONS), not in a transaction. */
  readonly client: ClientBase;
  readonly snapshotName: string;
  readonly tables: readonly CapturedTable[];
  readonly primaryKeys: ReadonlyMap<string, readonly string[]>;
  /** The commit position every load row carries (sequence 0). */
  readonly commit: string;
  /** Rows per batch handed to `write` (default 5,000). */
  readonly batchRows?: number;
  /** Called once the snapshot is imported: the exporting connection may close from then on. */
  readonly onSnapshotImported?: () => Promise<void> | void;
  /** Receives each batch; the next batch is read once it resolves. */
  write(changes: readonly ChangeEvent[], table: CapturedTable): Promise<void>;
}

/** Rows loaded, per `schema.table`. */
export type FullLoadCounts = Readonly<Record<string, number>>;

export async function runFullLoad(options: FullLoadOptions): Promise<FullLoadCounts> {
  const { client } = options;
  const batchRows = options.batchRows ?? 5_000;
  const counts: Record<string, number> = {};
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    // Must come first in the transaction (before any query).
    await client.query(`SET TRANSACTION SNAPSHOT '${options.snapshotName.replace(/'/g, "''")}'`);
    await options.onSnapshotImported?.();
    for (const table of options.tables) {
      const key = tableKey(table.schema, table.table);
      const keyColumns = options.primaryKeys.get(key);
      counts[key] = 0;
      await client.query(`DECLARE shardline_load NO SCROLL CURSOR FOR SELECT * FROM ${qualifiedTableName(table)}`);
      for (;;) {
        const result = await client.query<(string | null)[]>({ text: `FETCH ${batchRows} FROM shardline_load`, rowMode: 'array', types: TEXT_TYPES });
        if (result.rows.length === 0) break;
        const changes = canonicalRows(result.fields, result.rows).map(
          (after): RowChange => ({
            kind: 'row',
            operation: 'load',
            schema: table.schema,
            table: table.table,
            after,
            before: undefined,
            keyColumns,
            position: { commit: options.commit, sequence: 0 },
            transactionId: undefined,
            commitTimestamp: undefined,
          }),
        );
        await options.write(changes, table);
        counts[key] += changes.length;
        if (result.rows.length < batchRows) break;
      }
      await client.query('CLOSE shardline_load');
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return counts;
}

/**
 * The source-side objects of a capture: the publication (which tables pgoutput decodes), the
 * logical replication slot (where the server keeps the stream's confirmed position and the WAL
 * not yet confirmed), the tables' primary keys, and a one-row-per-slot record of whether the
 * slot's full load finished (so that a capture interrupted during its load loads again).
 */
import type { ClientBase } from 'pg';
import { CaptureSetupError } from './errors';

/** A captured table. */
export interface CapturedTable {
  readonly schema: string;
  readonly table: string;
}

/** Slot, publication and schema names: lower-case letters, digits and `_` (slot names allow nothing else), at most 63. */
const OBJECT_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkObjectName(kind: string, name: string): string {
  if (!OBJECT_NAME.test(name)) throw new CaptureSetupError(`${kind} name ${JSON.stringify(name)}: use lower-case letters, digits and _ (at most 63)`);
  return name;
}

const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;
export const qualifiedTableName = (table: CapturedTable): string => `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.table)}`;
export const tableKey = (schema: string, name: string): string => `${schema}.${name}`;

/** The server can serve a logical replication capture: version, `wal_level`, the role's rights. */
export async function checkSource(client: ClientBase): Promise<{ readonly serverVersionNum: number }> {
  const { rows } = await client.query<{ version: string; wal_level: string; replication: boolean; superuser: boolean }>(
    `SELECT current_setting('server_version_num') AS version, current_setting('wal_level') AS wal_level,
            r.rolreplication AS replication, r.rolsuper AS superuser
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const row = rows[0];
  if (!row) throw new CaptureSetupError('cannot read the current role');
  const serverVersionNum = Number(row.version);
  if (serverVersionNum < 100000) throw new CaptureSetupError(`PostgreSQL ${serverVersionNum} has no pgoutput: 10 or later is needed`);
  if (row.wal_level !== 'logical') throw new CaptureSetupError(`wal_level is ${row.wal_level}: logical decoding needs wal_level=logical (a server restart)`);
  if (!row.replication && !row.superuser) throw new CaptureSetupError('the role has neither REPLICATION nor SUPERUSER: it cannot stream changes');
  return { serverVersionNum };
}

/**
 * Primary-key columns (in key order) of each table, by `schema.table`.
 * @throws {CaptureSetupError} for a table that does not exist or has no primary key.
 */
export async function primaryKeys(client: ClientBase, tables: readonly CapturedTable[]): Promise<Map<string, readonly string[]>> {
  const { rows } = await client.query<{ schema: string; table: string; key: string[] }>(
    `SELECT n.nspname AS schema, c.relname AS table, json_agg(a.attname::text ORDER BY k.ord) AS key
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE i.indisprimary AND n.nspname = ANY($1::text[]) AND c.relname = ANY($2::text[])
      GROUP BY n.nspname, c.relname`,
    [tables.map((t) => t.schema), tables.map((t) => t.table)],
  );
  const keys = new Map(rows.map((r) => [tableKey(r.schema, r.table), r.key as readonly string[]]));
  const missing = tables.filter((t) => !keys.has(tableKey(t.schema, t.table)));
  if (missing.length > 0) {
    throw new CaptureSetupError(`no such table, or no primary key (DMS needs one to capture updates and deletes): ${missing.map((t) => tableKey(t.schema, t.table)).join(', ')}`);
  }
  return keys;
}

/**
 * Creates the publication for exactly `tables`, or checks that an existing one publishes exactly
 * them (a capture never silently widens or narrows what an existing slot streams).
 */
export async function ensurePublication(client: ClientBase, name: string, tables: readonly CapturedTable[]): Promise<'created' | 'exists'> {
  const { rows: existing } = await client.query<{ pubname: string }>('SELECT pubname FROM pg_publication WHERE pubname = $1', [name]);
  if (existing.length === 0) {
    await client.query(`CREATE PUBLICATION ${quoteIdentifier(name)} FOR TABLE ${tables.map(qualifiedTableName).join(', ')}`);
    return 'created';
  }
  const { rows } = await client.query<{ schemaname: string; tablename: string }>('SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1', [name]);
  const published = new Set(rows.map((r) => tableKey(r.schemaname, r.tablename)));
  const wanted = new Set(tables.map((t) => tableKey(t.schema, t.table)));
  if (published.size !== wanted.size || [...wanted].some((t) => !published.has(t))) {
    throw new CaptureSetupError(`publication ${name} publishes ${[...published].sort().join(', ') || 'nothing'}, not ${[...wanted].sort().join(', ')}: drop it or name another`);
  }
  return 'exists';
}

/** A logical replication slot as pg_replication_slots shows it. */
export interface SlotInfo {
  readonly name: string;
  readonly plugin: string | null;
  readonly database: string | null;
  /** Pid of the walsender streaming from it, when one is. */
  readonly activePid: number | null;
  /** The position the consumer confirmed: streaming resumes with the first transaction committed after it. */
  readonly confirmedFlushLsn: string | null;
  readonly restartLsn: string | null;
}

export async function readSlot(client: ClientBase, name: string): Promise<SlotInfo | undefined> {
  const { rows } = await client.query<{ plugin: string | null; database: string | null; active_pid: number | null; confirmed_flush_lsn: string | null; restart_lsn: string | null; slot_type: string }>(
    `SELECT plugin, database, active_pid, confirmed_flush_lsn::text, restart_lsn::text, slot_type FROM pg_replication_slots WHERE slot_name = $1`,
    [name],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (row.slot_type !== 'logical') throw new CaptureSetupError(`slot ${name} is a ${row.slot_type} slot, not a logical one`);
  return { name, plugin: row.plugin, database: row.database, activePid: row.active_pid, confirmedFlushLsn: row.confirmed_flush_lsn, restartLsn: row.restart_lsn };
}

export async function dropSlot(client: ClientBase, name: string): Promise<void> {
  await client.query('SELECT pg_drop_replication_slot($1)', [name]);
}

/** What creating a slot with an exported snapshot gives. */
export interface CreatedSlot {
  /** The first position the slot streams from: everything committed before it is in the snapshot. */
  readonly consistentPoint: string;
  /** The snapshot to import (`SET TRANSACTION SNAPSHOT`) while the creating connection stays open and idle. */
  readonly snapshotName: string;
}

/**
 * Creates a `pgoutput` slot on a replication connection (`replication: 'database'`) and exports
 * its snapshot: a transaction that imports it sees exactly the data committed before the slot's
 * first streamed transaction. The snapshot lives until that connection runs another command.
 */
export async function createSlotExportingSnapshot(replication: ClientBase, name: string, serverVersionNum: number): Promise<CreatedSlot> {
  // PostgreSQL 15 took the options in parentheses; before, as keywords.
  const command =
    serverVersionNum >= 150000 ? `CREATE_REPLICATION_SLOT ${quoteIdentifier(name)} LOGICAL pgoutput (SNAPSHOT 'export')` : `CREATE_REPLICATION_SLOT ${quoteIdentifier(name)} LOGICAL pgoutput EXPORT_SNAPSHOT`;
  const { rows } = await replication.query<{ consistent_point: string; snapshot_name: string | null }>(command);
  const row = rows[0];
  if (!row?.snapshot_name) throw new CaptureSetupError(`CREATE_REPLICATION_SLOT ${name} exported no snapshot`);
  return { consistentPoint: row.consistent_point, snapshotName: row.snapshot_name };
}

/** Creates a `pgoutput` slot without a snapshot (changes only, no full load). */
export async function createSlot(client: ClientBase, name: string): Promise<void> {
  await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [name]);
}

/**
 * Whether each slot's full load finished, kept in the source (`<schema>.capture_state`, one row
 * per slot), beside the slot itself: a slot whose load never finished is dropped and loaded again.
 */
export class LoadStateTable {
  private readonly table: string;

  constructor(private readonly schema: string) {
    checkObjectName('state schema', schema);
    this.table = `${quoteIdentifier(schema)}.capture_state`;
  }

  async ensure(client: ClientBase): Promise<void> {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(this.schema)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (slot_name text PRIMARY KEY, consistent_point pg_lsn NOT NULL, load_rows bigint NOT NULL, load_completed_at timestamptz NOT NULL DEFAULT now())`,
    );
  }

  /** The consistent point of the slot's finished load, or undefined when none finished (or the table is missing). */
  async completedLoad(client: ClientBase, slot: string): Promise<string | undefined> {
    const { rows: exists } = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [this.table]);
    if (!exists[0]?.found) return undefined;
    const { rows } = await client.query<{ consistent_point: string }>(`SELECT consistent_point::text FROM ${this.table} WHERE slot_name = $1`, [slot]);
    return rows[0]?.consistent_point;
  }

  async forget(client: ClientBase, slot: string): Promise<void> {
    await client.query(`DELETE FROM ${this.table} WHERE slot_name = $1`, [slot]);
  }

  async markCompleted(client: ClientBase, slot: string, consistentPoint: string, rows: number): Promise<void> {
    await client.query(
      `INSERT INTO ${this.table} (slot_name, consistent_point, load_rows) VALUES ($1, $2::pg_lsn, $3)
       ON CONFLICT (slot_name) DO UPDATE SET consistent_point = EXCLUDED.consistent_point, load_rows = EXCLUDED.load_rows, load_completed_at = now()`,
      [slot, consistentPoint, rows],
    );
  }
}

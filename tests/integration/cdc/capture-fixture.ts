/**
 * Shared pieces of the capture integration tests: an embedded PostgreSQL per test file, a fresh
 * database per test (slots, publications and state are per database), a recording sink that can
 * be told to fail, and the replay of captured changes into rows to compare with the source.
 */
import pg from 'pg';
import type { CaptureSink } from '../../../lib/cdc/capture';
import { comparePositions, positionKey, type ChangeEvent, type ColumnValue, type RowChange, type RowImage } from '../../../lib/cdc/change-event';
import { shopTables } from '../../../lib/cdc/source-tables';
import { createSourceSchema, readSourceRows } from '../../../lib/cdc/workload';
import { startPostgres, type PostgresConnection, type RunningPostgres } from '../../../lib/local/emulators/postgres';

/** Starts PostgreSQL before the file's tests, stops it after. */
export function usePostgres(): () => RunningPostgres {
  let postgres: RunningPostgres | undefined;
  beforeAll(async () => {
    postgres = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await postgres?.stop();
  }, 30_000);
  return () => {
    if (!postgres) throw new Error('PostgreSQL did not start (see the beforeAll error)');
    return postgres;
  };
}

export interface SourceDatabase {
  readonly name: string;
  readonly connection: PostgresConnection;
  /** A client for the workload and checks (ended by `close`). */
  readonly client: pg.Client;
  /** Another client, for a workload running beside the first. */
  readonly client2: pg.Client;
  close(): Promise<void>;
}

let databases = 0;

/** A new database with the shop schema; its name doubles as the slot name. */
export async function freshDatabase(postgres: RunningPostgres): Promise<SourceDatabase> {
  const name = `src_${process.pid}_${++databases}`;
  const admin = new pg.Client(postgres.connection);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const connection = { ...postgres.connection, database: name };
  const client = new pg.Client(connection);
  const client2 = new pg.Client(connection);
  await Promise.all([client.connect(), client2.connect()]);
  await createSourceSchema(client);
  return {
    name,
    connection,
    client,
    client2,
    close: async () => {
      // A slot keeps WAL; drop it with the test's database.
      await client.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database() AND NOT active').catch(() => undefined);
      await Promise.all([client.end(), client2.end()]);
    },
  };
}

/** What one `write` call was given, and how it ended. */
export interface WriteAttempt {
  readonly changes: readonly ChangeEvent[];
  readonly ok: boolean;
}

export interface RecordingSinkOptions {
  /** Where delivered changes go: share one array between the sinks of a capture and its restart. */
  readonly store?: ChangeEvent[];
  /**
   * Fail a write: given the index of the write among CDC writes (0-based) and its changes, return
   * how many of them to store before throwing, or undefined to succeed.
   */
  readonly failCdcWrite?: (index: number, changes: readonly ChangeEvent[]) => number | undefined;
  /** Fail a full-load write the same way (index among load writes). */
  readonly failLoadWrite?: (index: number) => boolean;
}

/** A sink that keeps everything it stored, in order, and can be told to fail. */
export class RecordingSink implements CaptureSink {
  readonly store: ChangeEvent[];
  readonly attempts: WriteAttempt[] = [];
  private cdcWrites = 0;
  private loadWrites = 0;
  /** Commit position of the last change of the last write that succeeded. */
  completeThrough: string | undefined;

  constructor(private readonly options: RecordingSinkOptions = {}) {
    this.store = options.store ?? [];
  }

  write(changes: readonly ChangeEvent[]): Promise<void> {
    const load = changes.every((c) => c.kind === 'row' && c.operation === 'load');
    if (load && this.options.failLoadWrite?.(this.loadWrites++)) {
      this.attempts.push({ changes, ok: false });
      return Promise.reject(new Error('the sink refused a load batch'));
    }
    const keep = load ? undefined : this.options.failCdcWrite?.(this.cdcWrites++, changes);
    if (keep !== undefined) {
      this.store.push(...changes.slice(0, keep));
      this.attempts.push({ changes, ok: false });
      return Promise.reject(new Error(`the sink failed after storing ${keep} of ${changes.length}`));
    }
    this.store.push(...changes);
    this.attempts.push({ changes, ok: true });
    this.completeThrough = changes.at(-1)?.position.commit ?? this.completeThrough;
    return Promise.resolve();
  }
}

const rowChanges = (changes: readonly ChangeEvent[]): RowChange[] => changes.filter((c): c is RowChange => c.kind === 'row');
export const cdcChanges = (changes: readonly ChangeEvent[]): RowChange[] => rowChanges(changes).filter((c) => c.operation !== 'load');
export const loadChanges = (changes: readonly ChangeEvent[]): RowChange[] => rowChanges(changes).filter((c) => c.operation === 'load');

export function keyOf(table: string, row: RowImage): string {
  const keyColumns = shopTables.tables.get(table)!.keyColumns;
  return JSON.stringify(keyColumns.map((k) => row[k] as ColumnValue));
}

/** Rows by table, then by JSON key. */
export type TableRows = Map<string, Map<string, RowImage>>;

/**
 * Replays changes (in the order given) into rows: what a target would hold. Updates and deletes
 * must carry a before image, unless `updatesWithoutBefore` (DMS S3 CSV: an update is the row after
 * it, applied by its own key).
 */
export function applyChanges(changes: readonly ChangeEvent[], options: { readonly updatesWithoutBefore?: boolean } = {}): TableRows {
  const tables: TableRows = new Map([...shopTables.tables.keys()].map((t) => [t, new Map<string, RowImage>()]));
  for (const change of rowChanges(changes)) {
    const rows = tables.get(change.table)!;
    if (change.operation === 'update' && !change.before && options.updatesWithoutBefore) {
      // Applied by the after image's key below.
    } else if (change.operation === 'update' || change.operation === 'delete') {
      if (!change.before) throw new Error(`${change.operation} at ${positionKey(change.position)} without a before image`);
      rows.delete(keyOf(change.table, change.before));
    }
    if (change.after) rows.set(keyOf(change.table, change.after), change.after);
  }
  return tables;
}

/** The source's rows now, in the same shape. */
export async function sourceRows(client: pg.Client): Promise<TableRows> {
  const tables: TableRows = new Map();
  for (const table of shopTables.tables.keys()) {
    tables.set(table, new Map((await readSourceRows(client, table)).map((row) => [keyOf(table, row), row])));
  }
  return tables;
}

/** Tables as sorted entry lists, for a readable toEqual. */
export const comparable = (tables: TableRows): Record<string, [string, RowImage][]> =>
  Object.fromEntries([...tables].map(([table, rows]) => [table, [...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]));

/** Keeps the first change at each position (the de-duplication a target does by position). */
export function firstAtEachPosition(changes: readonly ChangeEvent[]): ChangeEvent[] {
  const seen = new Set<string>();
  return changes.filter((c) => {
    const key = `${c.kind === 'row' && c.operation === 'load' ? `load:${c.table}:${keyOf(c.table, c.after!)}` : positionKey(c.position)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Whether positions strictly increase along the list. */
export function strictlyIncreasing(changes: readonly ChangeEvent[]): boolean {
  return changes.every((c, i) => i === 0 || comparePositions(changes[i - 1]!.position, c.position) < 0);
}

/** Captured change counts by transaction id. */
export function changesByTransaction(changes: readonly ChangeEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const change of cdcChanges(changes)) counts.set(change.transactionId!, (counts.get(change.transactionId!) ?? 0) + 1);
  return counts;
}

/** Polls until `condition` holds (bounded; a test fails rather than hangs). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((wait) => setTimeout(wait, 10));
  }
}

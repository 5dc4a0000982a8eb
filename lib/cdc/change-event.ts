/**
 * The one internal shape of a database change, whatever it arrived as (DMS's Kinesis messages,
 * DMS's S3 files, Debezium's envelope, or our own capture from PostgreSQL). Replay logic works on
 * this shape only; each format has a parser to it (and the capture an encoder from it).
 */

/**
 * A column value, kept exact: numerics, 64-bit integers and timestamps travel as strings in their
 * canonical text (`'12345678901234567890'`, `'12.50'`, `'2026-11-25T22:00:00.123456Z'`), never as
 * JS numbers, so no precision is lost between the source and the target.
 */
export type ColumnValue = string | number | boolean | null;

export type RowImage = Readonly<Record<string, ColumnValue>>;

/**
 * Where a change sits in the source's history, totally ordered: the commit position of its
 * transaction, then its order inside that transaction. Full-load rows sit at the snapshot's
 * position with `sequence` 0, before every change captured after the snapshot.
 */
export interface ChangePosition {
  /**
   * The commit position as a fixed-width, lexicographically ordered string: for PostgreSQL the
   * commit LSN as 16 upper-case hex digits (`0/16B3748` → `00000000016B3748`); for sources that only
   * give a commit time, that time as `YYYY-MM-DDTHH:MM:SS.ffffffZ`. Never mixed within one stream.
   */
  readonly commit: string;
  /** The change's index within its transaction (0-based); for full-load rows, 0. */
  readonly sequence: number;
}

/** Row operations. `load` is a full-load row (DMS `load`, Debezium `r`). */
export type RowOperation = 'load' | 'insert' | 'update' | 'delete';

export interface RowChange {
  readonly kind: 'row';
  readonly operation: RowOperation;
  readonly schema: string;
  readonly table: string;
  /**
   * The row after the change (load, insert, update); for a delete, undefined. Holds every column
   * the source sent.
   */
  readonly after: RowImage | undefined;
  /**
   * The row before the change when the source sent one (update and delete; the key columns at
   * least, when the primary key changed or for deletes), else undefined.
   */
  readonly before: RowImage | undefined;
  /** Primary-key column names in key order, when the format carries them (else the replay's table mapping says). */
  readonly keyColumns: readonly string[] | undefined;
  readonly position: ChangePosition;
  /** The source transaction id, when known. */
  readonly transactionId: string | undefined;
  /** Commit time at the source (ISO-8601 UTC), when known. */
  readonly commitTimestamp: string | undefined;
}

/** Table-level operations (DMS control records, Debezium `t`). */
export type ControlOperation = 'create-table' | 'drop-table' | 'truncate' | 'rename-table' | 'add-column' | 'drop-column' | 'change-columns';

export interface ControlChange {
  readonly kind: 'control';
  readonly operation: ControlOperation;
  readonly schema: string;
  readonly table: string;
  readonly position: ChangePosition;
  readonly transactionId: string | undefined;
  readonly commitTimestamp: string | undefined;
}

export type ChangeEvent = RowChange | ControlChange;

/** The canonical position string: commit, then the sequence as 10 digits (`00000000016B3748:0000000003`). */
export const positionKey = (position: ChangePosition): string => `${position.commit}:${String(position.sequence).padStart(10, '0')}`;

/** Compares two positions of the same stream: negative when `a` is earlier. */
export function comparePositions(a: ChangePosition, b: ChangePosition): number {
  return a.commit < b.commit ? -1 : a.commit > b.commit ? 1 : a.sequence - b.sequence;
}

/** `0/16B3748` → `00000000016B3748` (PostgreSQL's `pg_lsn` text form to a sortable fixed width). */
export function lsnToCommitPosition(lsn: string): string {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (!match) throw new RangeError(`not a PostgreSQL LSN: ${JSON.stringify(lsn)}`);
  return (match[1]!.padStart(8, '0') + match[2]!.padStart(8, '0')).toUpperCase();
}

/** A message that is not a valid change in its format: which field, and what is wrong. */
export class ChangeFormatError extends Error {
  override readonly name = 'ChangeFormatError';

  constructor(readonly format: 'dms-kinesis' | 'dms-s3' | 'debezium', readonly field: string | undefined, readonly reason: string) {
    super(`${format}: ${field === undefined ? '' : `${field}: `}${reason}`);
  }
}

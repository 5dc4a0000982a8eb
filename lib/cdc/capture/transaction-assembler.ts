/**
 * Turns the decoded pgoutput stream into committed transactions of {@link ChangeEvent}s. A
 * transaction's changes are held until its COMMIT: only then is it certain (PostgreSQL decodes
 * committed transactions only, but a stream cut mid-transaction must not leak a part of one).
 */
import type { ChangeEvent, ColumnValue, ControlChange, RowChange, RowImage } from '../change-event';
import { commitPositionOf } from './lsn';
import { UNCHANGED_TOAST, PgoutputProtocolError, type BeginMessage, type PgoutputMessage, type Relation, type TupleValue } from './pgoutput-decoder';
import { pgTextToColumnValue } from './pg-values';

/** A committed transaction, with its changes in the order they were made. */
export interface CapturedTransaction {
  /** Unsigned 32-bit transaction id. */
  readonly xid: number;
  /** LSN of the commit record: the transaction's place in the source's history. */
  readonly commitLsn: string;
  /** End of the commit record: the position to confirm to the slot once the transaction is safe. */
  readonly endLsn: string;
  /** ISO-8601 UTC with microseconds. */
  readonly commitTimestamp: string;
  readonly changes: readonly ChangeEvent[];
}

export interface TransactionAssemblerOptions {
  /**
   * Primary-key columns of a relation, in key order (under `REPLICA IDENTITY FULL` pgoutput flags
   * every column as identity, so the key must come from the catalog). Without an answer, the
   * relation's identity columns are used when its identity is a key (default or index).
   */
  readonly primaryKeyOf?: (relation: Relation) => readonly string[] | undefined;
}

interface OpenTransaction {
  readonly begin: BeginMessage;
  readonly commit: string;
  readonly transactionId: string;
  readonly changes: ChangeEvent[];
}

/** The columns of a tuple as a row image; `only` limits it to the replica-identity columns (a key-only old tuple). */
function imageOf(relation: Relation, tuple: readonly TupleValue[], fallback?: RowImage, only?: 'identity'): RowImage {
  const row: Record<string, ColumnValue> = {};
  relation.columns.forEach((column, i) => {
    if (only === 'identity' && !column.inReplicaIdentity) return;
    const value = tuple[i];
    if (value === UNCHANGED_TOAST) {
      // Unchanged TOASTed value: the old full image (REPLICA IDENTITY FULL) has it; else it is not known, and left out.
      if (fallback && Object.prototype.hasOwnProperty.call(fallback, column.name)) row[column.name] = fallback[column.name]!;
      return;
    }
    row[column.name] = pgTextToColumnValue(column.typeOid, value ?? null);
  });
  return row;
}

export class TransactionAssembler {
  private open: OpenTransaction | undefined;
  private readonly primaryKeyOf: (relation: Relation) => readonly string[] | undefined;

  constructor(options: TransactionAssemblerOptions = {}) {
    this.primaryKeyOf = options.primaryKeyOf ?? (() => undefined);
  }

  /** True between a BEGIN and its COMMIT. */
  get inTransaction(): boolean {
    return this.open !== undefined;
  }

  /** Changes held for the open transaction. */
  get pendingChanges(): number {
    return this.open?.changes.length ?? 0;
  }

  /** Forgets a half-received transaction (the stream was cut; the server sends it again on reconnection). */
  reset(): void {
    this.open = undefined;
  }

  /** Takes the next message of the stream; returns the transaction its COMMIT completes. */
  push(message: PgoutputMessage): CapturedTransaction | undefined {
    switch (message.tag) {
      case 'begin':
        if (this.open) throw new PgoutputProtocolError(`BEGIN of xid ${message.xid} inside xid ${this.open.begin.xid}`);
        this.open = { begin: message, commit: commitPositionOf(message.finalLsn), transactionId: String(message.xid), changes: [] };
        return undefined;
      case 'commit': {
        const open = this.requireOpen('COMMIT');
        if (message.commitLsn !== open.begin.finalLsn) {
          throw new PgoutputProtocolError(`COMMIT at ${message.commitLsn} closes the transaction BEGIN announced at ${open.begin.finalLsn}`);
        }
        this.open = undefined;
        return { xid: open.begin.xid, commitLsn: message.commitLsn, endLsn: message.endLsn, commitTimestamp: open.begin.commitTime, changes: open.changes };
      }
      case 'insert':
        this.addRow(message.relation, 'insert', imageOf(message.relation, message.newTuple), undefined);
        return undefined;
      case 'update': {
        const before = message.oldTuple && imageOf(message.relation, message.oldTuple, undefined, message.oldKind === 'key' ? 'identity' : undefined);
        this.addRow(message.relation, 'update', imageOf(message.relation, message.newTuple, message.oldKind === 'full' ? before : undefined), before);
        return undefined;
      }
      case 'delete':
        this.addRow(message.relation, 'delete', undefined, imageOf(message.relation, message.oldTuple, undefined, message.oldKind === 'key' ? 'identity' : undefined));
        return undefined;
      case 'truncate': {
        const open = this.requireOpen('TRUNCATE');
        for (const relation of message.relations) {
          const change: ControlChange = {
            kind: 'control',
            operation: 'truncate',
            schema: relation.schema,
            table: relation.name,
            position: { commit: open.commit, sequence: open.changes.length },
            transactionId: open.transactionId,
            commitTimestamp: open.begin.commitTime,
          };
          open.changes.push(change);
        }
        return undefined;
      }
      default:
        // relation and type messages feed the decoder; origin and logical messages carry no row.
        return undefined;
    }
  }

  private requireOpen(what: string): OpenTransaction {
    if (!this.open) throw new PgoutputProtocolError(`${what} outside a transaction`);
    return this.open;
  }

  private addRow(relation: Relation, operation: RowChange['operation'], after: RowImage | undefined, before: RowImage | undefined): void {
    const open = this.requireOpen(operation.toUpperCase());
    const identityKey = relation.replicaIdentity === 'default' || relation.replicaIdentity === 'index' ? relation.columns.filter((c) => c.inReplicaIdentity).map((c) => c.name) : undefined;
    const change: RowChange = {
      kind: 'row',
      operation,
      schema: relation.schema,
      table: relation.name,
      after,
      before,
      keyColumns: this.primaryKeyOf(relation) ?? identityKey,
      position: { commit: open.commit, sequence: open.changes.length },
      transactionId: open.transactionId,
      commitTimestamp: open.begin.commitTime,
    };
    open.changes.push(change);
  }
}

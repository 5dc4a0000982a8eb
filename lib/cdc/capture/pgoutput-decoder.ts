/**
 * A decoder of PostgreSQL's `pgoutput` logical replication messages, protocol version 1
 * (https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html), that keeps
 * every value as the exact text the server sent.
 *
 * Why not pg-logical-replication's own parser: it runs each value through `pg`'s global type
 * parsers (a `timestamptz` becomes a JS Date and loses its microseconds) and reads the xid as a
 * signed 32-bit integer. This one gives text and unsigned xids; typing is `pgTextToColumnValue`'s job.
 */
import { lsnFromBuffer } from './lsn';

/** A message that does not follow the protocol (or uses a part of it this decoder does not take). */
export class PgoutputProtocolError extends Error {
  override readonly name = 'PgoutputProtocolError';
}

export interface RelationColumn {
  readonly name: string;
  /** Part of the replica identity (every column under `REPLICA IDENTITY FULL`). */
  readonly inReplicaIdentity: boolean;
  readonly typeOid: number;
  readonly typeMod: number;
}

export type ReplicaIdentity = 'default' | 'nothing' | 'full' | 'index';

export interface Relation {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  readonly replicaIdentity: ReplicaIdentity;
  readonly columns: readonly RelationColumn[];
}

/** An unchanged TOASTed value: the server did not send it (the row's old image may have it). */
export const UNCHANGED_TOAST: unique symbol = Symbol('unchanged-toast');

/** One column of a tuple: its text, `null` for SQL NULL, or {@link UNCHANGED_TOAST}. */
export type TupleValue = string | null | typeof UNCHANGED_TOAST;

export interface BeginMessage {
  readonly tag: 'begin';
  /** LSN of the transaction's commit record. */
  readonly finalLsn: string;
  /** Commit time, ISO-8601 UTC with microseconds. */
  readonly commitTime: string;
  /** The transaction id, unsigned 32-bit. */
  readonly xid: number;
}

export interface CommitMessage {
  readonly tag: 'commit';
  readonly commitLsn: string;
  /** End of the commit record: what a consumer confirms once the transaction is safe. */
  readonly endLsn: string;
  readonly commitTime: string;
}

export interface OriginMessage {
  readonly tag: 'origin';
  readonly originLsn: string;
  readonly originName: string;
}

export interface RelationMessage {
  readonly tag: 'relation';
  readonly relation: Relation;
}

export interface TypeMessage {
  readonly tag: 'type';
  readonly typeOid: number;
  readonly schema: string;
  readonly name: string;
}

export interface InsertMessage {
  readonly tag: 'insert';
  readonly relation: Relation;
  readonly newTuple: readonly TupleValue[];
}

export interface UpdateMessage {
  readonly tag: 'update';
  readonly relation: Relation;
  /** `key`: the old replica-identity columns only (sent when they changed); `full`: the whole old row (`REPLICA IDENTITY FULL`). */
  readonly oldKind: 'key' | 'full' | undefined;
  readonly oldTuple: readonly TupleValue[] | undefined;
  readonly newTuple: readonly TupleValue[];
}

export interface DeleteMessage {
  readonly tag: 'delete';
  readonly relation: Relation;
  readonly oldKind: 'key' | 'full';
  readonly oldTuple: readonly TupleValue[];
}

export interface TruncateMessage {
  readonly tag: 'truncate';
  readonly relations: readonly Relation[];
  readonly cascade: boolean;
  readonly restartIdentity: boolean;
}

export interface LogicalMessage {
  readonly tag: 'message';
  readonly transactional: boolean;
  readonly lsn: string;
  readonly prefix: string;
  readonly content: Buffer;
}

export type PgoutputMessage =
  | BeginMessage
  | CommitMessage
  | OriginMessage
  | RelationMessage
  | TypeMessage
  | InsertMessage
  | UpdateMessage
  | DeleteMessage
  | TruncateMessage
  | LogicalMessage;

/** Microseconds from 1970-01-01 to 2000-01-01 (PostgreSQL's epoch). */
const PG_EPOCH_MICROS = 946_684_800_000_000n;

/** A PostgreSQL timestamp on the wire (µs since 2000-01-01 UTC) → `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export function pgMicrosToIso(micros: bigint): string {
  const unixMicros = micros + PG_EPOCH_MICROS;
  let millis = unixMicros / 1000n;
  let micro = unixMicros % 1000n;
  if (micro < 0n) {
    micro += 1000n;
    millis -= 1n;
  }
  const iso = new Date(Number(millis)).toISOString(); // …T…:SS.mmmZ
  return `${iso.slice(0, -1)}${micro.toString().padStart(3, '0')}Z`;
}

const REPLICA_IDENTITY: Readonly<Record<string, ReplicaIdentity>> = { d: 'default', n: 'nothing', f: 'full', i: 'index' };

/** Reads one message's fields in order. */
class Reader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  private need(bytes: number): void {
    if (this.offset + bytes > this.buffer.length) throw new PgoutputProtocolError(`message ends early: ${bytes} more byte(s) needed at offset ${this.offset} of ${this.buffer.length}`);
  }
  uint8(): number {
    this.need(1);
    return this.buffer.readUInt8(this.offset++);
  }
  int16(): number {
    this.need(2);
    const value = this.buffer.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }
  int32(): number {
    this.need(4);
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  uint32(): number {
    this.need(4);
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  int64(): bigint {
    this.need(8);
    const value = this.buffer.readBigInt64BE(this.offset);
    this.offset += 8;
    return value;
  }
  lsn(): string {
    this.need(8);
    const value = lsnFromBuffer(this.buffer, this.offset);
    this.offset += 8;
    return value;
  }
  /** A NUL-terminated UTF-8 string. */
  string(): string {
    const end = this.buffer.indexOf(0, this.offset);
    if (end < 0) throw new PgoutputProtocolError(`unterminated string at offset ${this.offset}`);
    const value = this.buffer.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return value;
  }
  bytes(length: number): Buffer {
    this.need(length);
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  utf8(length: number): string {
    this.need(length);
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  char(): string {
    return String.fromCharCode(this.uint8());
  }
}

/**
 * Decodes the messages of one replication stream, in order: Relation messages are remembered,
 * since row messages name their table by OID only.
 */
export class PgoutputDecoder {
  private readonly relations = new Map<number, Relation>();
  private readonly types = new Map<number, { schema: string; name: string }>();

  /** The relation last described for `oid`, if any. */
  relation(oid: number): Relation | undefined {
    return this.relations.get(oid);
  }

  /** The name of a non-built-in type the stream described (pgoutput sends a Type message before first use). */
  typeName(oid: number): { readonly schema: string; readonly name: string } | undefined {
    return this.types.get(oid);
  }

  decode(buffer: Buffer): PgoutputMessage {
    const reader = new Reader(buffer);
    const tag = reader.char();
    switch (tag) {
      case 'B':
        return { tag: 'begin', finalLsn: reader.lsn(), commitTime: pgMicrosToIso(reader.int64()), xid: reader.uint32() };
      case 'C': {
        reader.uint8(); // flags: unused
        return { tag: 'commit', commitLsn: reader.lsn(), endLsn: reader.lsn(), commitTime: pgMicrosToIso(reader.int64()) };
      }
      case 'O':
        return { tag: 'origin', originLsn: reader.lsn(), originName: reader.string() };
      case 'R':
        return { tag: 'relation', relation: this.readRelation(reader) };
      case 'Y': {
        const typeOid = reader.uint32();
        const schema = reader.string();
        const name = reader.string();
        this.types.set(typeOid, { schema, name });
        return { tag: 'type', typeOid, schema, name };
      }
      case 'I': {
        const relation = this.knownRelation(reader.uint32());
        const marker = reader.char();
        if (marker !== 'N') throw new PgoutputProtocolError(`insert: expected N, found ${JSON.stringify(marker)}`);
        return { tag: 'insert', relation, newTuple: this.readTuple(reader, relation) };
      }
      case 'U': {
        const relation = this.knownRelation(reader.uint32());
        let marker = reader.char();
        let oldKind: 'key' | 'full' | undefined;
        let oldTuple: TupleValue[] | undefined;
        if (marker === 'K' || marker === 'O') {
          oldKind = marker === 'K' ? 'key' : 'full';
          oldTuple = this.readTuple(reader, relation);
          marker = reader.char();
        }
        if (marker !== 'N') throw new PgoutputProtocolError(`update: expected N, found ${JSON.stringify(marker)}`);
        return { tag: 'update', relation, oldKind, oldTuple, newTuple: this.readTuple(reader, relation) };
      }
      case 'D': {
        const relation = this.knownRelation(reader.uint32());
        const marker = reader.char();
        if (marker !== 'K' && marker !== 'O') throw new PgoutputProtocolError(`delete: expected K or O, found ${JSON.stringify(marker)}`);
        return { tag: 'delete', relation, oldKind: marker === 'K' ? 'key' : 'full', oldTuple: this.readTuple(reader, relation) };
      }
      case 'T': {
        const count = reader.uint32();
        const flags = reader.uint8();
        const relations: Relation[] = [];
        for (let i = 0; i < count; i++) relations.push(this.knownRelation(reader.uint32()));
        return { tag: 'truncate', relations, cascade: (flags & 1) !== 0, restartIdentity: (flags & 2) !== 0 };
      }
      case 'M': {
        const flags = reader.uint8();
        const lsn = reader.lsn();
        const prefix = reader.string();
        return { tag: 'message', transactional: (flags & 1) !== 0, lsn, prefix, content: Buffer.from(reader.bytes(reader.uint32())) };
      }
      default:
        // S/E/c/A (streaming, protocol 2+) and P/K/r/b (two-phase) are never requested with protocol 1.
        throw new PgoutputProtocolError(`unexpected pgoutput message ${JSON.stringify(tag)} (protocol 1 without streaming or two-phase)`);
    }
  }

  private knownRelation(oid: number): Relation {
    const relation = this.relations.get(oid);
    if (!relation) throw new PgoutputProtocolError(`row message for relation ${oid}, which no Relation message described`);
    return relation;
  }

  private readRelation(reader: Reader): Relation {
    const oid = reader.uint32();
    const schema = reader.string();
    const name = reader.string();
    const identity = REPLICA_IDENTITY[reader.char()];
    if (!identity) throw new PgoutputProtocolError(`relation ${schema}.${name}: unknown replica identity`);
    const count = reader.int16();
    const columns: RelationColumn[] = [];
    for (let i = 0; i < count; i++) {
      const flags = reader.uint8();
      columns.push({ inReplicaIdentity: (flags & 1) !== 0, name: reader.string(), typeOid: reader.uint32(), typeMod: reader.int32() });
    }
    const relation: Relation = { oid, schema: schema === '' ? 'pg_catalog' : schema, name, replicaIdentity: identity, columns };
    this.relations.set(oid, relation);
    return relation;
  }

  private readTuple(reader: Reader, relation: Relation): TupleValue[] {
    const count = reader.int16();
    if (count !== relation.columns.length) {
      throw new PgoutputProtocolError(`${relation.schema}.${relation.name}: tuple of ${count} columns, the relation has ${relation.columns.length}`);
    }
    const values: TupleValue[] = new Array<TupleValue>(count);
    for (let i = 0; i < count; i++) {
      const kind = reader.char();
      if (kind === 't') values[i] = reader.utf8(reader.int32());
      else if (kind === 'n') values[i] = null;
      else if (kind === 'u') values[i] = UNCHANGED_TOAST;
      else throw new PgoutputProtocolError(`${relation.schema}.${relation.name}: column kind ${JSON.stringify(kind)} (binary values are never requested)`);
    }
    return values;
  }
}

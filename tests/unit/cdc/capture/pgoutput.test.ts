/**
 * The pgoutput decoder and the transaction assembler, on messages built byte by byte after
 * PostgreSQL's "Logical Replication Message Formats" (protocol 1).
 */
import { PG_TYPE } from '../../../../lib/cdc/capture/pg-values';
import { PgoutputDecoder, PgoutputProtocolError, pgMicrosToIso, UNCHANGED_TOAST, type PgoutputMessage } from '../../../../lib/cdc/capture/pgoutput-decoder';
import { TransactionAssembler } from '../../../../lib/cdc/capture/transaction-assembler';
import type { ControlChange, RowChange } from '../../../../lib/cdc/change-event';

/** Builds one message: a tag byte, then fields in order. */
class Message {
  private readonly parts: Buffer[] = [];
  constructor(tag: string) {
    this.byte(tag);
  }
  byte(value: string | number): this {
    this.parts.push(Buffer.from([typeof value === 'string' ? value.charCodeAt(0) : value]));
    return this;
  }
  int16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(value);
    this.parts.push(b);
    return this;
  }
  int32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value >>> 0);
    this.parts.push(b);
    return this;
  }
  int64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    this.parts.push(b);
    return this;
  }
  string(value: string): this {
    this.parts.push(Buffer.from(`${value}\0`, 'utf8'));
    return this;
  }
  /** TupleData: text values, null, or unchanged TOAST. */
  tuple(values: readonly (string | null | typeof UNCHANGED_TOAST)[]): this {
    this.int16(values.length);
    for (const value of values) {
      if (value === null) this.byte('n');
      else if (value === UNCHANGED_TOAST) this.byte('u');
      else {
        const bytes = Buffer.from(value, 'utf8');
        this.byte('t').int32(bytes.length);
        this.parts.push(bytes);
      }
    }
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** µs since 2000-01-01 of 2026-11-25T22:00:00.123456Z. */
const COMMIT_MICROS = BigInt(Date.UTC(2026, 10, 25, 22, 0, 0) - Date.UTC(2000, 0, 1)) * 1000n + 123_456n;

const begin = (finalLsn: bigint, xid: number): Buffer => new Message('B').int64(finalLsn).int64(COMMIT_MICROS).int32(xid).build();
const commit = (commitLsn: bigint, endLsn: bigint): Buffer => new Message('C').byte(0).int64(commitLsn).int64(endLsn).int64(COMMIT_MICROS).build();

/** shop.customers-like relation: id bigint (key), name text, country char(2), notes text. */
function relation(oid: number, identity: 'd' | 'f', keyFlags = [1, 0, 0, 0]): Buffer {
  const message = new Message('R').int32(oid).string('shop').string('customers').byte(identity).int16(4);
  const columns: [string, number][] = [['customer_id', PG_TYPE.int8], ['full_name', PG_TYPE.text], ['country', PG_TYPE.bpchar], ['notes', PG_TYPE.text]];
  columns.forEach(([name, type], i) => message.byte(keyFlags[i]!).string(name).int32(type).int32(-1));
  return message.build();
}

describe('pgoutput decoder', () => {
  test('BEGIN and COMMIT: LSNs, µs commit time, unsigned xid', () => {
    const decoder = new PgoutputDecoder();
    expect(decoder.decode(begin(0x1_0000_0010n, 0xfffffff0))).toEqual({ tag: 'begin', finalLsn: '1/10', commitTime: '2026-11-25T22:00:00.123456Z', xid: 4294967280 });
    expect(decoder.decode(commit(0x1_0000_0010n, 0x1_0000_0040n))).toEqual({ tag: 'commit', commitLsn: '1/10', endLsn: '1/40', commitTime: '2026-11-25T22:00:00.123456Z' });
  });

  test('pgMicrosToIso handles times before 2000 and the µs digits', () => {
    expect(pgMicrosToIso(0n)).toBe('2000-01-01T00:00:00.000000Z');
    expect(pgMicrosToIso(-1n)).toBe('1999-12-31T23:59:59.999999Z');
    expect(pgMicrosToIso(1_000_001n)).toBe('2000-01-01T00:00:01.000001Z');
  });

  test('RELATION is remembered, rows are decoded against it with text kept exactly', () => {
    const decoder = new PgoutputDecoder();
    const described = decoder.decode(relation(16384, 'f', [1, 1, 1, 1]));
    expect(described).toMatchObject({ tag: 'relation', relation: { oid: 16384, schema: 'shop', name: 'customers', replicaIdentity: 'full' } });
    const insert = decoder.decode(new Message('I').int32(16384).byte('N').tuple(['9007199254740993', 'José 🚀', 'X ', null]).build());
    expect(insert).toMatchObject({ tag: 'insert', newTuple: ['9007199254740993', 'José 🚀', 'X ', null] });
  });

  test('UPDATE with the old full row, with the old key, and with neither; DELETE with key or row', () => {
    const decoder = new PgoutputDecoder();
    decoder.decode(relation(1, 'f'));
    const full = decoder.decode(new Message('U').int32(1).byte('O').tuple(['1', 'a', 'US', 'n']).byte('N').tuple(['2', 'a', 'US', UNCHANGED_TOAST]).build());
    expect(full).toMatchObject({ tag: 'update', oldKind: 'full', oldTuple: ['1', 'a', 'US', 'n'], newTuple: ['2', 'a', 'US', UNCHANGED_TOAST] });
    const keyed = decoder.decode(new Message('U').int32(1).byte('K').tuple(['1', null, null, null]).byte('N').tuple(['2', 'a', 'US', null]).build());
    expect(keyed).toMatchObject({ oldKind: 'key' });
    const plain = decoder.decode(new Message('U').int32(1).byte('N').tuple(['2', 'b', 'US', null]).build());
    expect(plain).toMatchObject({ oldKind: undefined, oldTuple: undefined });
    expect(decoder.decode(new Message('D').int32(1).byte('K').tuple(['2', null, null, null]).build())).toMatchObject({ tag: 'delete', oldKind: 'key' });
  });

  test('TRUNCATE, TYPE, ORIGIN and logical MESSAGE', () => {
    const decoder = new PgoutputDecoder();
    decoder.decode(relation(1, 'd'));
    expect(decoder.decode(new Message('T').int32(1).byte(3).int32(1).build())).toMatchObject({ tag: 'truncate', cascade: true, restartIdentity: true, relations: [{ oid: 1 }] });
    expect(decoder.decode(new Message('Y').int32(90000).string('public').string('mood').build())).toEqual({ tag: 'type', typeOid: 90000, schema: 'public', name: 'mood' });
    expect(decoder.typeName(90000)).toEqual({ schema: 'public', name: 'mood' });
    expect(decoder.decode(new Message('O').int64(5n).string('node_a').build())).toEqual({ tag: 'origin', originLsn: '0/5', originName: 'node_a' });
    const message = decoder.decode(new Message('M').byte(1).int64(7n).string('p').int32(2).byte(0x68).byte(0x69).build());
    expect(message).toMatchObject({ tag: 'message', transactional: true, lsn: '0/7', prefix: 'p' });
    expect((message as Extract<PgoutputMessage, { tag: 'message' }>).content.toString()).toBe('hi');
  });

  test('protocol violations are typed errors', () => {
    const decoder = new PgoutputDecoder();
    expect(() => decoder.decode(new Message('I').int32(99).byte('N').tuple(['1']).build())).toThrow(/no Relation message described/);
    decoder.decode(relation(1, 'd'));
    expect(() => decoder.decode(new Message('I').int32(1).byte('N').tuple(['1', 'a']).build())).toThrow(/tuple of 2 columns/);
    expect(() => decoder.decode(new Message('S').int32(1).build())).toThrow(PgoutputProtocolError);
    expect(() => decoder.decode(begin(1n, 1).subarray(0, 10))).toThrow(/ends early/);
    expect(() => decoder.decode(new Message('I').int32(1).byte('N').int16(4).byte('b').int32(0).build())).toThrow(/binary/);
  });
});

describe('transaction assembler', () => {
  const primaryKeyOf = (): readonly string[] => ['customer_id'];

  function feed(assembler: TransactionAssembler, decoder: PgoutputDecoder, messages: Buffer[]) {
    return messages.map((m) => assembler.push(decoder.decode(m))).filter((t) => t !== undefined);
  }

  test('emits a transaction at COMMIT only, changes numbered in order at the commit position', () => {
    const decoder = new PgoutputDecoder();
    const assembler = new TransactionAssembler({ primaryKeyOf });
    const [first, ...rest] = feed(assembler, decoder, [
      begin(0x16b3748n, 4000000000),
      relation(1, 'f'),
      new Message('I').int32(1).byte('N').tuple(['1', 'Zoë', 'FR', null]).build(),
      new Message('U').int32(1).byte('O').tuple(['1', 'Zoë', 'FR', null]).byte('N').tuple(['2', 'Zoë', 'FR', null]).build(),
      new Message('D').int32(1).byte('O').tuple(['2', 'Zoë', 'FR', null]).build(),
    ]);
    expect(first).toBeUndefined();
    expect(rest).toHaveLength(0);
    expect(assembler.inTransaction).toBe(true);
    expect(assembler.pendingChanges).toBe(3);
    const done = assembler.push(decoder.decode(commit(0x16b3748n, 0x16b3780n)))!;
    expect(done).toMatchObject({ xid: 4000000000, commitLsn: '0/16B3748', endLsn: '0/16B3780', commitTimestamp: '2026-11-25T22:00:00.123456Z' });
    const changes = done.changes as RowChange[];
    expect(changes.map((c) => [c.operation, c.position])).toEqual([
      ['insert', { commit: '00000000016B3748', sequence: 0 }],
      ['update', { commit: '00000000016B3748', sequence: 1 }],
      ['delete', { commit: '00000000016B3748', sequence: 2 }],
    ]);
    expect(changes[0]).toMatchObject({ schema: 'shop', table: 'customers', before: undefined, after: { customer_id: '1', full_name: 'Zoë', country: 'FR', notes: null }, transactionId: '4000000000', keyColumns: ['customer_id'] });
    // A primary-key update carries the old key in its full before image.
    expect(changes[1]).toMatchObject({ before: { customer_id: '1' }, after: { customer_id: '2' } });
    expect(changes[2]).toMatchObject({ after: undefined, before: { customer_id: '2', full_name: 'Zoë' } });
    expect(assembler.inTransaction).toBe(false);
  });

  test('an unchanged TOASTed value is taken from the full old row, or left out without one', () => {
    const decoder = new PgoutputDecoder();
    const assembler = new TransactionAssembler({ primaryKeyOf });
    const [tx] = feed(assembler, decoder, [
      begin(0x100n, 7),
      relation(1, 'f'),
      new Message('U').int32(1).byte('O').tuple(['1', 'a', 'US', 'long text']).byte('N').tuple(['1', 'b', 'US', UNCHANGED_TOAST]).build(),
      new Message('U').int32(1).byte('N').tuple(['1', 'c', 'US', UNCHANGED_TOAST]).build(),
      commit(0x100n, 0x120n),
    ]);
    const [withOld, withoutOld] = tx!.changes as RowChange[];
    expect(withOld!.after).toEqual({ customer_id: '1', full_name: 'b', country: 'US', notes: 'long text' });
    expect(withoutOld!.after).toEqual({ customer_id: '1', full_name: 'c', country: 'US' });
    expect(withoutOld!.before).toBeUndefined();
  });

  test('a key-only old tuple gives a before image of the identity columns; keys default to the identity', () => {
    const decoder = new PgoutputDecoder();
    const assembler = new TransactionAssembler();
    const [tx] = feed(assembler, decoder, [
      begin(0x100n, 7),
      relation(1, 'd'),
      new Message('U').int32(1).byte('K').tuple(['1', null, null, null]).byte('N').tuple(['5', 'a', null, null]).build(),
      new Message('D').int32(1).byte('K').tuple(['5', null, null, null]).build(),
      commit(0x100n, 0x120n),
    ]);
    const [update, remove] = tx!.changes as RowChange[];
    expect(update).toMatchObject({ before: { customer_id: '1' }, after: { customer_id: '5', full_name: 'a', country: null, notes: null }, keyColumns: ['customer_id'] });
    expect(remove!.before).toEqual({ customer_id: '5' });
  });

  test('TRUNCATE becomes one control change per table', () => {
    const decoder = new PgoutputDecoder();
    const assembler = new TransactionAssembler();
    const [tx] = feed(assembler, decoder, [begin(0x100n, 7), relation(1, 'd'), new Message('T').int32(1).byte(0).int32(1).build(), commit(0x100n, 0x120n)]);
    expect(tx!.changes).toEqual<ControlChange[]>([
      { kind: 'control', operation: 'truncate', schema: 'shop', table: 'customers', position: { commit: '0000000000000100', sequence: 0 }, transactionId: '7', commitTimestamp: '2026-11-25T22:00:00.123456Z' },
    ]);
  });

  test('out-of-place BEGIN, COMMIT or rows are protocol errors; reset() forgets a cut transaction', () => {
    const decoder = new PgoutputDecoder();
    const assembler = new TransactionAssembler();
    decoder.decode(relation(1, 'd'));
    expect(() => assembler.push(decoder.decode(commit(1n, 2n)))).toThrow(PgoutputProtocolError);
    expect(() => assembler.push(decoder.decode(new Message('I').int32(1).byte('N').tuple(['1', 'a', null, null]).build()))).toThrow(/outside a transaction/);
    assembler.push(decoder.decode(begin(0x10n, 1)));
    expect(() => assembler.push(decoder.decode(begin(0x20n, 2)))).toThrow(/inside xid 1/);
    expect(() => assembler.push(decoder.decode(commit(0x11n, 0x30n)))).toThrow(/closes the transaction/);
    assembler.reset();
    expect(assembler.inTransaction).toBe(false);
  });
});

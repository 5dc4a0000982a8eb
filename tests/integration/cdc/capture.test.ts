/**
 * Full load + CDC from a real PostgreSQL into a recording sink: the exact sequence of changes
 * against what the workload committed, and the rows it replays to against the source's rows.
 */
import { CdcCapture, readSlot } from '../../../lib/cdc/capture';
import { comparePositions, type RowChange } from '../../../lib/cdc/change-event';
import { shopTables } from '../../../lib/cdc/source-tables';
import { ROLLED_BACK_MARKER, runShopWorkload, tablesOf } from '../../../lib/cdc/workload';
import {
  applyChanges,
  cdcChanges,
  changesByTransaction,
  comparable,
  freshDatabase,
  keyOf,
  loadChanges,
  RecordingSink,
  sourceRows,
  strictlyIncreasing,
  usePostgres,
} from './capture-fixture';

jest.setTimeout(120_000);

const postgres = usePostgres();

test('full load from the slot snapshot while the workload runs, then every committed change exactly once, in commit order', async () => {
  const db = await freshDatabase(postgres());
  try {
    const before = await runShopWorkload(db.client, { transactions: 150, seed: 1 });
    const sink = new RecordingSink();
    const capture = new CdcCapture({ connection: db.connection, sink, tables: tablesOf(), slotName: db.name, loadBatchRows: 40, maxBatchChanges: 25 });

    // Changes racing the slot's creation and the load: each lands in the load or in the stream, never both, never neither.
    const [, during] = await Promise.all([capture.start(), runShopWorkload(db.client2, { transactions: 150, seed: 2 })]);
    const after = await runShopWorkload(db.client, { transactions: 400, seed: 3, journal: true });
    await capture.waitUntilCaughtUp();
    const stats = await capture.stop();

    const loaded = loadChanges(sink.store);
    const captured = cdcChanges(sink.store);
    expect(before.changes + during.changes).toBeGreaterThan(0);
    expect(sink.store.slice(0, loaded.length)).toEqual(loaded); // the load first
    expect(new Set(loaded.map((c) => c.position.commit)).size).toBe(1);
    expect(loaded.every((c) => c.position.sequence === 0 && c.transactionId === undefined && c.before === undefined)).toBe(true);
    if (captured.length > 0) expect(comparePositions(loaded[0]!.position, captured[0]!.position)).toBeLessThan(0);
    expect(strictlyIncreasing(captured)).toBe(true);
    expect(stats).toMatchObject({ phase: 'stopped', slotCreated: true, loadRows: loaded.length, changes: captured.length });

    // The journaled transactions: each committed one exactly with its changes, no rolled-back one at all.
    const counts = changesByTransaction(sink.store);
    const journal = after.journal!;
    expect(journal.filter((t) => !t.committed).length).toBe(after.rolledBack);
    for (const transaction of journal) expect([transaction.xid, counts.get(transaction.xid) ?? 0]).toEqual([transaction.xid, transaction.changes]);
    const journaled = new Set(journal.map((t) => t.xid));
    const ofAfter = captured.filter((c) => journaled.has(c.transactionId!));
    expect(ofAfter.length).toBe(after.changes);
    expect(JSON.stringify(sink.store)).not.toContain(ROLLED_BACK_MARKER.trim());

    // Each transaction's changes are contiguous, numbered 0…n-1, with its commit time.
    const byTransaction = new Map<string, RowChange[]>();
    for (const change of captured) byTransaction.set(change.transactionId!, [...(byTransaction.get(change.transactionId!) ?? []), change]);
    for (const changes of byTransaction.values()) {
      expect(changes.map((c) => c.position.sequence)).toEqual(changes.map((_, i) => i));
      expect(new Set(changes.map((c) => `${c.position.commit}|${c.commitTimestamp}`)).size).toBe(1);
    }

    // Primary-key updates carry the old key (and the whole old row).
    const keyUpdates = ofAfter.filter((c) => c.operation === 'update' && keyOf(c.table, c.before!) !== keyOf(c.table, c.after!));
    expect(keyUpdates.length).toBe(after.keyUpdates);
    expect(new Set(keyUpdates.map((c) => c.table))).toEqual(new Set(['customers', 'order_lines']));
    for (const change of captured.filter((c) => c.operation !== 'insert')) {
      expect(Object.keys(change.before!).sort()).toEqual(shopTables.tables.get(change.table)!.columns.map((c) => c.name).sort());
      expect(change.keyColumns).toEqual(shopTables.tables.get(change.table)!.keyColumns);
    }
    expect(captured.filter((c) => c.operation === 'insert').length).toBeGreaterThanOrEqual(after.inserts);

    // Replayed in order, the changes give exactly the source's rows: nothing missed, nothing repeated, values exact.
    expect(comparable(applyChanges(sink.store))).toEqual(comparable(await sourceRows(db.client)));

    // The slot was confirmed through the last transaction the sink took.
    const slot = await readSlot(db.client, db.name);
    expect(slot?.confirmedFlushLsn).toBe(stats.confirmedLsn);
  } finally {
    await db.close();
  }
});

test('exact values: wide numerics, 64-bit ids, zoned timestamps with microseconds, padded char(2), unicode, NULLs', async () => {
  const db = await freshDatabase(postgres());
  try {
    const sink = new RecordingSink();
    const capture = new CdcCapture({ connection: db.connection, sink, tables: tablesOf(), slotName: db.name, fullLoad: false });
    await capture.start();
    await db.client.query(
      `INSERT INTO shop.customers VALUES ($1, $2, $3, $4, $5, $6, $7, $8), ($9, $10, $11, NULL, $12, false, $13, NULL)`,
      ['9223372036854775807', 'é@x', 'Zoë 🚀 李小龙, "q"\nx', 'X', '-999999999999.99', true, '2026-03-29 01:30:00.123456+05:45', 'n', '1', 'a@b', 'b', '0.00', '1999-12-31 23:59:59.999999-12'],
    );
    await db.client.query(`UPDATE shop.customers SET balance = balance + 0.01, country = 'US' WHERE customer_id = 1`);
    await capture.waitUntilCaughtUp();
    await capture.stop();
    const [first, second, update] = cdcChanges(sink.store);
    expect(first!.after).toEqual({
      customer_id: '9223372036854775807',
      email: 'é@x',
      full_name: 'Zoë 🚀 李小龙, "q"\nx',
      country: 'X ',
      balance: '-999999999999.99',
      vip: true,
      signed_up_at: '2026-03-28T19:45:00.123456Z',
      notes: 'n',
    });
    expect(second!.after).toMatchObject({ customer_id: '1', country: null, balance: '0.00', signed_up_at: '2000-01-01T11:59:59.999999Z', notes: null });
    expect(update).toMatchObject({ operation: 'update', before: { balance: '0.00', country: null }, after: { balance: '0.01', country: 'US' } });
    expect(first!.position.commit).toBe(second!.position.commit);
  } finally {
    await db.close();
  }
});

test('transactions on tables outside the publication, and empty ones, neither reach the sink nor hold back the caught-up point', async () => {
  const db = await freshDatabase(postgres());
  try {
    await db.client.query('CREATE TABLE public.other (id int PRIMARY KEY)');
    const sink = new RecordingSink();
    const capture = new CdcCapture({ connection: db.connection, sink, tables: tablesOf(), slotName: db.name });
    await capture.start();
    await db.client.query('INSERT INTO public.other SELECT generate_series(1, 100)');
    await db.client.query('BEGIN; SELECT 1; COMMIT');
    await capture.waitUntilCaughtUp();
    const stats = await capture.stop();
    expect(stats).toMatchObject({ transactions: 0, changes: 0 });
    expect(sink.store).toHaveLength(0);
  } finally {
    await db.close();
  }
});

test('setup errors are typed: an unknown table, a table without primary key, a publication of other tables', async () => {
  const db = await freshDatabase(postgres());
  try {
    await db.client.query('CREATE TABLE shop.nokey (a int)');
    const failureOf = (tables: { schema: string; table: string }[], publicationName?: string): Promise<Error> =>
      new CdcCapture({ connection: db.connection, sink: new RecordingSink(), tables, slotName: db.name, ...(publicationName ? { publicationName } : {}) }).start().then(
        () => new Error('started'),
        (error: unknown) => error as Error,
      );
    const unknown = await failureOf([{ schema: 'shop', table: 'missing' }]);
    expect([unknown.name, unknown.message]).toEqual(['CaptureSetupError', expect.stringContaining('shop.missing') as unknown]);
    const keyless = await failureOf([{ schema: 'shop', table: 'nokey' }]);
    expect([keyless.name, keyless.message]).toEqual(['CaptureSetupError', expect.stringContaining('primary key') as unknown]);
    await db.client.query('CREATE PUBLICATION only_orders FOR TABLE shop.orders');
    const narrower = await failureOf(tablesOf(), 'only_orders');
    expect([narrower.name, narrower.message]).toEqual(['CaptureSetupError', expect.stringContaining('publishes shop.orders') as unknown]);
    expect(await readSlot(db.client, db.name)).toBeUndefined();
  } finally {
    await db.close();
  }
});

/**
 * Restarts: the capture stops (the sink fails mid-stream, or it is stopped, or the load fails) and a
 * new capture resumes from the slot. Every committed transaction must arrive; the only repeats
 * allowed are changes the first capture handed to a write that did not succeed.
 */
import { CaptureSinkError, CdcCapture, compareLsn, lsnOfCommitPosition, readSlot } from '../../../lib/cdc/capture';
import { positionKey, type ChangeEvent } from '../../../lib/cdc/change-event';
import { runShopWorkload, tablesOf, type WorkloadResult } from '../../../lib/cdc/workload';
import {
  applyChanges,
  cdcChanges,
  changesByTransaction,
  comparable,
  firstAtEachPosition,
  freshDatabase,
  loadChanges,
  RecordingSink,
  sourceRows,
  strictlyIncreasing,
  usePostgres,
  waitFor,
} from './capture-fixture';

jest.setTimeout(120_000);

const postgres = usePostgres();

/** Every committed transaction of the journals delivered with all its changes (after de-duplication). */
function expectAllCommitted(delivered: readonly ChangeEvent[], workloads: readonly WorkloadResult[]): void {
  const counts = changesByTransaction(delivered);
  for (const transaction of workloads.flatMap((w) => w.journal!)) expect([transaction.xid, counts.get(transaction.xid) ?? 0]).toEqual([transaction.xid, transaction.changes]);
}

const positions = (changes: readonly ChangeEvent[]): string[] => cdcChanges(changes).map((c) => positionKey(c.position));

test('the sink fails mid-stream after storing part of a batch: nothing after it is confirmed; the restart delivers the rest, repeating only that batch', async () => {
  const db = await freshDatabase(postgres());
  try {
    await runShopWorkload(db.client, { transactions: 50, seed: 11 });
    const store: ChangeEvent[] = [];
    // The 4th CDC write stores half its changes, then fails (as a PutRecords with some entries failed would).
    const failing = new RecordingSink({ store, failCdcWrite: (index, changes) => (index === 3 ? Math.floor(changes.length / 2) : undefined) });
    const first = new CdcCapture({ connection: db.connection, sink: failing, tables: tablesOf(), slotName: db.name, maxBatchChanges: 30 });
    await first.start();
    const a = await runShopWorkload(db.client, { transactions: 300, seed: 12, journal: true });
    await expect(first.finished).rejects.toBeInstanceOf(CaptureSinkError);
    await expect(first.stop()).rejects.toBeInstanceOf(CaptureSinkError);

    const failedWrite = failing.attempts.find((attempt) => !attempt.ok)!;
    expect(failing.attempts.filter((attempt) => attempt.ok).length).toBeGreaterThanOrEqual(4); // the load, then three CDC writes
    expect(failing.attempts.at(-1)).toBe(failedWrite); // nothing written after the failure
    const firstFailedCommit = lsnOfCommitPosition(failedWrite.changes[0]!.position.commit);
    const slot = await readSlot(db.client, db.name);
    expect(compareLsn(slot!.confirmedFlushLsn!, firstFailedCommit)).toBeLessThan(0);

    const b = await runShopWorkload(db.client, { transactions: 100, seed: 13, journal: true });
    const second = new CdcCapture({ connection: db.connection, sink: new RecordingSink({ store }), tables: tablesOf(), slotName: db.name, maxBatchChanges: 30 });
    await second.start();
    await second.waitUntilCaughtUp();
    const stats = await second.stop();
    expect(stats).toMatchObject({ slotCreated: false, loadRows: 0, reloadReason: undefined });

    // Repeats: only changes of the failed write, each at most twice.
    const seen = new Map<string, number>();
    for (const key of positions(store)) seen.set(key, (seen.get(key) ?? 0) + 1);
    const repeated = [...seen].filter(([, n]) => n > 1);
    const handedToFailedWrite = new Set(positions(failedWrite.changes));
    expect(repeated.length).toBe(Math.floor(failedWrite.changes.length / 2));
    for (const [key, n] of repeated) expect([key, n, handedToFailedWrite.has(key)]).toEqual([key, 2, true]);

    const delivered = firstAtEachPosition(store);
    expect(strictlyIncreasing(cdcChanges(delivered))).toBe(true);
    expectAllCommitted(delivered, [a, b]);
    expect(comparable(applyChanges(delivered))).toEqual(comparable(await sourceRows(db.client)));
  } finally {
    await db.close();
  }
});

test('a write that landed but was never confirmed (the process died after the sink, before the slot): resumeAfter skips it, exactly once', async () => {
  const db = await freshDatabase(postgres());
  try {
    const store: ChangeEvent[] = [];
    // The 3rd CDC write stores everything, then "dies" before the capture could confirm it.
    const dying = new RecordingSink({ store, failCdcWrite: (index, changes) => (index === 2 ? changes.length : undefined) });
    const first = new CdcCapture({ connection: db.connection, sink: dying, tables: tablesOf(), slotName: db.name, fullLoad: false, maxBatchChanges: 20 });
    await first.start();
    const a = await runShopWorkload(db.client, { transactions: 200, seed: 21, journal: true });
    await expect(first.finished).rejects.toBeInstanceOf(CaptureSinkError);

    const heldThrough = store.at(-1)!.position.commit;
    const second = new CdcCapture({ connection: db.connection, sink: new RecordingSink({ store }), tables: tablesOf(), slotName: db.name, fullLoad: false, resumeAfter: heldThrough });
    await second.start();
    await second.waitUntilCaughtUp();
    const stats = await second.stop();
    expect(stats.skippedTransactions).toBeGreaterThan(0);
    expect(new Set(positions(store)).size).toBe(positions(store).length); // no repeats at all
    expect(strictlyIncreasing(cdcChanges(store))).toBe(true);
    expectAllCommitted(store, [a]);
    const slot = await readSlot(db.client, db.name);
    expect(slot!.confirmedFlushLsn).toBe(stats.confirmedLsn);
  } finally {
    await db.close();
  }
});

test('stop() mid-stream while the workload runs, then restart: nothing lost, nothing repeated', async () => {
  const db = await freshDatabase(postgres());
  try {
    const store: ChangeEvent[] = [];
    const first = new CdcCapture({ connection: db.connection, sink: new RecordingSink({ store }), tables: tablesOf(), slotName: db.name, maxBatchChanges: 20 });
    await first.start();
    const workload = runShopWorkload(db.client, { transactions: 400, seed: 31, journal: true });
    await waitFor(() => cdcChanges(store).length >= 200, 'the first capture to deliver 200 changes');
    const firstStats = await first.stop();
    expect(firstStats.phase).toBe('stopped');
    const deliveredByFirst = store.length;

    const second = new CdcCapture({ connection: db.connection, sink: new RecordingSink({ store }), tables: tablesOf(), slotName: db.name, maxBatchChanges: 20 });
    await second.start();
    const a = await workload;
    await second.waitUntilCaughtUp();
    await second.stop();

    expect(store.length).toBeGreaterThan(deliveredByFirst);
    expect(new Set(positions(store)).size).toBe(positions(store).length);
    expect(strictlyIncreasing(cdcChanges(store))).toBe(true);
    expectAllCommitted(store, [a]);
    expect(comparable(applyChanges(store))).toEqual(comparable(await sourceRows(db.client)));
  } finally {
    await db.close();
  }
});

test('a full load that failed half-way is redone from a new slot on restart', async () => {
  const db = await freshDatabase(postgres());
  try {
    await runShopWorkload(db.client, { transactions: 200, seed: 41 });
    const failing = new RecordingSink({ failLoadWrite: (index) => index === 2 });
    const first = new CdcCapture({ connection: db.connection, sink: failing, tables: tablesOf(), slotName: db.name, loadBatchRows: 50 });
    await expect(first.start()).rejects.toThrow('the sink refused a load batch');
    expect(await readSlot(db.client, db.name)).toBeDefined(); // the slot stays, its load unfinished

    await runShopWorkload(db.client, { transactions: 50, seed: 42 });
    const sink = new RecordingSink();
    const second = new CdcCapture({ connection: db.connection, sink, tables: tablesOf(), slotName: db.name, loadBatchRows: 50 });
    await second.start();
    const b = await runShopWorkload(db.client, { transactions: 100, seed: 43, journal: true });
    await second.waitUntilCaughtUp();
    const stats = await second.stop();
    expect(stats.slotCreated).toBe(true);
    expect(stats.reloadReason).toMatch(/full load never finished/);
    expect(stats.loadRows).toBe(loadChanges(sink.store).length);
    expectAllCommitted(sink.store, [b]);
    expect(comparable(applyChanges(sink.store))).toEqual(comparable(await sourceRows(db.client)));

    // Now that the load finished, a third capture resumes without loading again.
    const third = new CdcCapture({ connection: db.connection, sink: new RecordingSink(), tables: tablesOf(), slotName: db.name });
    await third.start();
    expect((await third.stop()).loadRows).toBe(0);
  } finally {
    await db.close();
  }
});

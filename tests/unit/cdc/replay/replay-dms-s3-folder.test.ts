import type { ReplayCheckpoint, ReplayProgress } from '../../../../lib/cdc/replay';
import { BadDmsFileError, CheckpointMismatchError, DEMO_CSV_SETTINGS, demoDmsFolder, replayDmsS3Folder, ReplayStalledError, S3CheckpointStore, shopHistory } from '../../../../lib/cdc/replay';
import type { ChangeEvent, RowChange } from '../../../../lib/cdc/change-event';
import { fakeBucket, RecordingSink } from './support';

const NO_WAIT = (): Promise<void> => Promise.resolve();
/** A small demo history written as a DMS folder under `dms/`. */
function demoFolder(transactions = 60) {
  const history = shopHistory({ seed: 11, transactions, initialCustomers: 8, initialOrders: 4 });
  const bucket = fakeBucket(7);
  const files = demoDmsFolder(history.changes, { bucketFolder: 'dms', transactionsPerFile: 10 });
  for (const file of files) bucket.put(file.key, file.body);
  const checkpoint = new S3CheckpointStore({ s3: bucket.s3, bucket: 'meta', key: 'checkpoint.json' });
  return { history, bucket, files, checkpoint };
}
const base = { bucket: 'data', prefix: 'dms', csv: DEMO_CSV_SETTINGS, sleep: NO_WAIT } as const;
/** A change without what a CSV round trip cannot keep (transaction ids, positions' sequences). */
const essence = (c: ChangeEvent) => (c.kind === 'row' ? { table: c.table, operation: c.operation, after: c.after, before: c.operation === 'update' ? c.before : undefined, commit: c.position.commit } : c);

describe('replayDmsS3Folder', () => {
  it('applies every full-load file first, then the CDC files in time order, in batches across files, and checkpoints the last', async () => {
    const { history, bucket, files, checkpoint } = demoFolder();
    bucket.put('dms/shop/customers/README.txt', 'not a DMS file');
    const sink = new RecordingSink();
    const progress: ReplayProgress[] = [];
    const report = await replayDmsS3Folder({ ...base, s3: bucket.s3, sink, checkpoint, batchSize: 7, onProgress: (p) => progress.push(p) });

    expect(report).toMatchObject({ filesPlanned: files.length, filesSkipped: 0, filesApplied: files.length, completed: true, rejected: 0, ignoredKeys: ['dms/shop/customers/README.txt'] });
    const loads = sink.changes.findIndex((c) => c.kind === 'row' && c.operation !== 'load');
    expect(sink.changes.slice(0, loads).every((c) => c.kind === 'row' && c.operation === 'load')).toBe(true);
    expect(sink.changes.slice(loads).every((c) => c.kind === 'row' && c.operation !== 'load')).toBe(true);
    // Per table, the changes come back in the history's order, whole.
    for (const table of ['customers', 'orders', 'order_lines']) {
      expect(sink.changes.filter((c) => c.table === table).map(essence)).toEqual(history.changes.filter((c) => c.table === table).map(essence));
    }
    expect(sink.calls.every((call) => call.length <= 7)).toBe(true);
    expect(sink.calls.some((call) => new Set(call.map((item) => item.value.table)).size > 1)).toBe(true);
    expect(report.changesApplied).toBe(history.changes.length);
    expect(report.tables.find((t) => t.table === 'shop.customers')).toMatchObject({ loads: 8 });
    expect(await checkpoint.load()).toMatchObject({ bucket: 'data', prefix: 'dms/', lastAppliedKey: report.checkpoint!.lastAppliedKey, planIndex: files.length - 1, changesApplied: history.changes.length });
    expect(progress.at(-1)).toMatchObject({ filesDone: files.length, filesTotal: files.length, changesApplied: history.changes.length, currentFile: undefined });
    expect(progress.at(-1)!.bytesDone).toBe(progress.at(-1)!.bytesTotal);
  });

  it('resumes after the checkpoint, re-applying only the file that was interrupted', async () => {
    const { bucket, files, checkpoint } = demoFolder();
    // The first run stalls somewhere in the middle of the folder (from its 31st sink call on).
    const failing = new RecordingSink((_item, call) => (call > 30 ? 'transient' : undefined));
    await expect(replayDmsS3Folder({ ...base, s3: bucket.s3, sink: failing, checkpoint, batchSize: 3, maxRounds: 1 })).rejects.toThrow(ReplayStalledError);
    const saved = (await checkpoint.load())!;
    expect(saved.planIndex).toBeGreaterThan(0);
    expect(saved.planIndex).toBeLessThan(files.length - 1);

    const sink = new RecordingSink();
    const report = await replayDmsS3Folder({ ...base, s3: bucket.s3, sink, checkpoint });
    expect(report).toMatchObject({ filesSkipped: saved.planIndex + 1, filesApplied: files.length - saved.planIndex - 1, completed: true });
    expect((await checkpoint.load())?.changesApplied).toBe(saved.changesApplied + report.changesApplied);

    // Nothing to do the third time; --from-start does it all again.
    expect(await replayDmsS3Folder({ ...base, s3: bucket.s3, sink: new RecordingSink(), checkpoint })).toMatchObject({ filesSkipped: files.length, filesApplied: 0 });
    expect(await replayDmsS3Folder({ ...base, s3: bucket.s3, sink: new RecordingSink(), checkpoint, fromStart: true })).toMatchObject({ filesSkipped: 0, filesApplied: files.length });
  });

  it('re-sends transient failures a bounded number of rounds, then stops without checkpointing the file', async () => {
    const { bucket, checkpoint } = demoFolder();
    let attempts = 0;
    const sink = new RecordingSink((item) => (item.value.kind === 'row' && item.value.operation === 'load' && item.ref === 0 && attempts++ < 2 ? 'transient' : undefined));
    const report = await replayDmsS3Folder({ ...base, s3: bucket.s3, sink, checkpoint, maxRounds: 3 });
    expect(report.retriedRounds).toBe(2);
    expect(sink.calls[1]).toHaveLength(1);

    const stuck = new RecordingSink((item) => (item.ref === 2 ? 'transient' : undefined));
    const stalled = replayDmsS3Folder({ ...base, s3: bucket.s3, sink: stuck, checkpoint, fromStart: true, maxRounds: 2 });
    await expect(stalled).rejects.toThrow(ReplayStalledError);
    await expect(stalled).rejects.toMatchObject({ fileKey: 'dms/shop/customers/LOAD00000001.csv' });
    expect(stuck.calls).toHaveLength(3);
  });

  it('hands refused changes to onRejected with their file, and goes on', async () => {
    const { bucket, files, checkpoint } = demoFolder();
    const rejected: { fileKey: string; change: ChangeEvent; code: string }[] = [];
    const sink = new RecordingSink((item) => (item.value.kind === 'row' && item.value.operation === 'delete' ? 'permanent' : undefined));
    const report = await replayDmsS3Folder({ ...base, s3: bucket.s3, sink, checkpoint, onRejected: (r) => void rejected.push(r) });
    const deletes = sink.changes.filter((c) => c.kind === 'row' && c.operation === 'delete').length;
    expect(deletes).toBeGreaterThan(0);
    expect(report).toMatchObject({ rejected: deletes, filesApplied: files.length, completed: true });
    expect(rejected.every((r) => r.code === 'ItemTooLarge' && (r.change as RowChange).operation === 'delete' && r.fileKey.startsWith(`dms/shop/${r.change.table}/`))).toBe(true);
  });

  it('stops at a file it cannot read, or records it and goes on with skipBadFiles; reads gzip', async () => {
    const { bucket, files, checkpoint } = demoFolder();
    const [load] = files;
    bucket.objects.delete(load!.key);
    bucket.put(`${load!.key}.gz`, load!.body, true);
    bucket.put('dms/shop/orders/20261125-2300000000.csv', 'X,not,a,row\n');
    const stopped = replayDmsS3Folder({ ...base, s3: bucket.s3, sink: new RecordingSink(), checkpoint });
    await expect(stopped).rejects.toThrow(BadDmsFileError);
    await expect(stopped).rejects.toMatchObject({ fileKey: 'dms/shop/orders/20261125-2300000000.csv' });

    const bad: string[] = [];
    const sink = new RecordingSink();
    const report = await replayDmsS3Folder({ ...base, s3: bucket.s3, sink, checkpoint, fromStart: true, skipBadFiles: true, onBadFile: (file) => void bad.push(file.key) });
    expect(bad).toEqual(['dms/shop/orders/20261125-2300000000.csv']);
    expect(report).toMatchObject({ badFiles: bad, filesApplied: files.length, completed: true });
    expect(sink.changes.filter((c) => c.kind === 'row' && c.table === load!.key.split('/')[2] && c.operation === 'load').length).toBeGreaterThan(0);
  });

  it('refuses a checkpoint of another folder, or one the folder no longer matches', async () => {
    const { bucket, files, checkpoint } = demoFolder();
    const saved: ReplayCheckpoint = { version: 1, bucket: 'data', prefix: 'dms/', lastAppliedKey: files[3]!.key, planIndex: 3, changesApplied: 1, updatedAt: '' };
    await checkpoint.save({ ...saved, prefix: 'other/' });
    await expect(replayDmsS3Folder({ ...base, s3: bucket.s3, sink: new RecordingSink(), checkpoint })).rejects.toThrow(CheckpointMismatchError);
    await checkpoint.save({ ...saved, lastAppliedKey: 'dms/shop/customers/gone.csv' });
    await expect(replayDmsS3Folder({ ...base, s3: bucket.s3, sink: new RecordingSink(), checkpoint })).rejects.toThrow(/no longer in the folder/);
    // A new table's full load appeared: it sorts before the checkpoint's file.
    await checkpoint.save(saved);
    bucket.put('dms/shop/aaa/LOAD00000001.csv', '1\n');
    await expect(replayDmsS3Folder({ ...base, s3: bucket.s3, sink: new RecordingSink(), checkpoint })).rejects.toThrow(/appeared or vanished/);
  });

  it('stops between batches when the signal aborts, keeping the checkpoint of the files done', async () => {
    const { bucket, files, checkpoint } = demoFolder();
    const abort = new AbortController();
    const sink = new RecordingSink();
    const report = await replayDmsS3Folder({ ...base, s3: bucket.s3, sink, checkpoint, batchSize: 5, signal: abort.signal, onProgress: (p) => { if (p.filesDone >= 2) abort.abort(); } });
    expect(report.completed).toBe(false);
    expect(report.filesApplied).toBeGreaterThanOrEqual(2);
    expect(report.filesApplied).toBeLessThan(files.length);
    expect((await checkpoint.load())?.planIndex).toBe(report.filesApplied - 1);
    expect(files.length).toBeGreaterThan(2);
  });
});

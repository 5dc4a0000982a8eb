/**
 * The capture into the DMS targets on the embedded emulators: Kinesis (kinesalite) and S3
 * (fauxqs). What landed is read back with the formats' own parsers and replayed into rows, which
 * must equal the source's.
 */
import { CreateStreamCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { CaptureSinkError, CdcCapture, KinesisSink, readSlot, S3Sink, SinkWriteError } from '../../../lib/cdc/capture';
import { comparePositions, type ChangeEvent, type RowChange } from '../../../lib/cdc/change-event';
import { parseDmsKinesisMessage } from '../../../lib/cdc/formats/dms-kinesis';
import { listDmsS3Files, parseDmsS3Csv } from '../../../lib/cdc/formats/dms-s3';
import { readStream } from '../../../lib/kinesis/producer';
import { runShopWorkload, tablesOf } from '../../../lib/cdc/workload';
import { useEmulators } from '../../support/emulators';
import { applyChanges, comparable, freshDatabase, keyOf, sourceRows, usePostgres } from './capture-fixture';

jest.setTimeout(120_000);

const postgres = usePostgres();
const emulators = useEmulators({ services: ['kinesis', 's3'] });

test('Kinesis: one DMS JSON record per change, keyed by row; decoded back they replay to the source rows', async () => {
  const db = await freshDatabase(postgres());
  try {
    const kinesis = emulators().clients.kinesis();
    await kinesis.send(new CreateStreamCommand({ StreamName: db.name, ShardCount: 3 }));
    await runShopWorkload(db.client, { transactions: 100, seed: 51 });
    const sink = new KinesisSink({ client: kinesis, streamName: db.name });
    const capture = new CdcCapture({ connection: db.connection, sink, tables: tablesOf(), slotName: db.name });
    await capture.start();
    await runShopWorkload(db.client, { transactions: 200, seed: 52 });
    await capture.waitUntilCaughtUp();
    const stats = await capture.stop();
    const report = await sink.close();
    expect(report).toMatchObject({ userRecordsWritten: stats.loadRows + stats.changes, userRecordsFailed: 0 });

    const shards = await readStream(kinesis, { streamName: db.name });
    const records = shards.flatMap((shard) => shard.userRecords.map((record) => ({ shardId: shard.shard.shardId, record, change: parseDmsKinesisMessage(record.data) as RowChange })));
    expect(records).toHaveLength(stats.loadRows + stats.changes);
    expect(shards.filter((s) => s.userRecords.length > 0).length).toBe(3);
    // Every record is plain (not KPL-aggregated) and keyed schema.table.key; a row's changes share a shard, in order.
    const lastPerKey = new Map<string, RowChange>();
    for (const { record, change } of records) {
      const row = change.operation === 'delete' ? change.before! : change.after!;
      expect(record.partitionKey).toBe(`shop.${change.table}.${(JSON.parse(keyOf(change.table, row)) as unknown[]).join('.')}`);
      const previous = lastPerKey.get(record.partitionKey);
      if (previous) expect(comparePositions(previous.position, change.position)).toBeLessThanOrEqual(0);
      lastPerKey.set(record.partitionKey, change);
    }
    // Across shards, the positions in the messages restore commit order.
    const ordered = records.map((r) => r.change).sort((x, y) => comparePositions(x.position, y.position));
    expect(comparable(applyChanges(ordered))).toEqual(comparable(await sourceRows(db.client)));
  } finally {
    await db.close();
  }
});

test('Kinesis: records the stream does not take fail the write and stop the capture; the slot is not confirmed past them', async () => {
  const db = await freshDatabase(postgres());
  try {
    const kinesis = emulators().clients.kinesis();
    const sink = new KinesisSink({ client: kinesis, streamName: `${db.name}-missing`, producer: { maxAttempts: 2, sleep: () => Promise.resolve() } });
    const capture = new CdcCapture({ connection: db.connection, sink, tables: tablesOf(), slotName: db.name, fullLoad: false });
    await capture.start();
    const confirmedAtStart = capture.stats().confirmedLsn;
    await runShopWorkload(db.client, { transactions: 5, seed: 53 });
    const error = await capture.finished.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CaptureSinkError);
    expect((error as Error).cause).toBeInstanceOf(SinkWriteError);
    expect((error as Error).message).toMatch(/ResourceNotFoundException/);
    expect((await readSlot(db.client, db.name))!.confirmedFlushLsn).toBe(confirmedAtStart);
    await sink.close();
  } finally {
    await db.close();
  }
});

async function readAll(s3: S3Client, bucket: string): Promise<{ keys: string[]; bodies: Map<string, string> }> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const bodies = new Map<string, string>();
  for (const key of keys) bodies.set(key, await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString('utf8'));
  return { keys, bodies };
}

test('S3: LOAD files, then CDC files named by time, in DMS CSV; parsed back in plan order they replay to the source rows', async () => {
  const db = await freshDatabase(postgres());
  try {
    const s3 = emulators().clients.s3();
    const bucket = db.name.replace(/_/g, '-');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    // DMS's S3 CSV has no before images: primary-key updates could not be replayed from it.
    await runShopWorkload(db.client, { transactions: 100, seed: 61, primaryKeyUpdates: false });
    const sink = new S3Sink({ client: s3, bucket, prefix: 'dms' });
    const capture = new CdcCapture({ connection: db.connection, sink, tables: tablesOf(), slotName: db.name, loadBatchRows: 60, maxBatchChanges: 200 });
    await capture.start();
    await runShopWorkload(db.client, { transactions: 200, seed: 62, primaryKeyUpdates: false });
    await capture.waitUntilCaughtUp();
    const stats = await capture.stop();

    const { keys, bodies } = await readAll(s3, bucket);
    expect(keys.length).toBe(sink.files);
    const plan = listDmsS3Files(keys);
    expect(plan.ignored).toEqual([]);
    expect(plan.files.filter((f) => f.kind === 'load').map((f) => f.key)).toContain('dms/shop/customers/LOAD00000001.csv');
    const changes: ChangeEvent[] = plan.files.flatMap((file) => parseDmsS3Csv(bodies.get(file.key)!, { schema: file.schema, table: file.table, kind: file.kind, fileKey: file.key }));
    expect(changes.length).toBe(stats.loadRows + stats.changes);
    expect(changes.some((c) => c.kind === 'row' && c.operation === 'delete')).toBe(true);
    expect(comparable(applyChanges(changes, { updatesWithoutBefore: true }))).toEqual(comparable(await sourceRows(db.client)));
  } finally {
    await db.close();
  }
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReplayCheckpoint } from '../../../../lib/cdc/replay';
import { CheckpointFormatError, FileCheckpointStore, S3CheckpointStore } from '../../../../lib/cdc/replay';
import { fakeBucket } from './support';

const checkpoint: ReplayCheckpoint = { version: 1, bucket: 'b', prefix: 'dms/', lastAppliedKey: 'dms/shop/customers/LOAD00000001.csv', planIndex: 0, changesApplied: 20, updatedAt: '2026-11-26T00:00:00.000Z' };

describe('FileCheckpointStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cdc-checkpoint-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('has nothing before the first save, then what was saved (creating folders)', async () => {
    const store = new FileCheckpointStore(join(dir, 'a', 'b', 'checkpoint.json'));
    expect(await store.load()).toBeUndefined();
    await store.save(checkpoint);
    expect(await store.load()).toEqual(checkpoint);
    await store.save({ ...checkpoint, planIndex: 3 });
    expect((await store.load())?.planIndex).toBe(3);
    expect(JSON.parse(await readFile(join(dir, 'a', 'b', 'checkpoint.json'), 'utf8'))).toMatchObject({ planIndex: 3 });
  });

  it('refuses a file that is not a checkpoint', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, '{"version":2}');
    await expect(new FileCheckpointStore(path).load()).rejects.toThrow(CheckpointFormatError);
    await writeFile(path, 'not json');
    await expect(new FileCheckpointStore(path).load()).rejects.toThrow(CheckpointFormatError);
  });
});

describe('S3CheckpointStore', () => {
  it('keeps the checkpoint as one object', async () => {
    const bucket = fakeBucket();
    const store = new S3CheckpointStore({ s3: bucket.s3, bucket: 'b', key: 'replay/checkpoint.json' });
    expect(store.location).toBe('s3://b/replay/checkpoint.json');
    expect(await store.load()).toBeUndefined();
    await store.save(checkpoint);
    expect(JSON.parse(bucket.objects.get('replay/checkpoint.json')!.toString())).toEqual(checkpoint);
    expect(await store.load()).toEqual(checkpoint);
  });
});

/**
 * Where a folder replay records how far it got: the last file it applied completely, in plan
 * order. A re-run skips every file up to it and starts with the next; the file that was being
 * applied when the run stopped is applied again from its first row, which changes nothing for
 * the rows already written (every write is conditional on the stored row being older).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';

export interface ReplayCheckpoint {
  readonly version: 1;
  /** The folder replayed: a checkpoint of another folder is refused. */
  readonly bucket: string;
  readonly prefix: string;
  /** The last file applied completely. */
  readonly lastAppliedKey: string;
  /** Its index in the plan (0-based): if files appear before it later, the plan no longer matches. */
  readonly planIndex: number;
  /** Changes applied from the start of the replay up to and including that file, over all runs. */
  readonly changesApplied: number;
  readonly updatedAt: string;
}

export interface CheckpointStore {
  /** Where it is kept, for messages (`./x.json`, `s3://bucket/key`). */
  readonly location: string;
  load(): Promise<ReplayCheckpoint | undefined>;
  save(checkpoint: ReplayCheckpoint): Promise<void>;
}

/** A stored checkpoint that is not one (corrupt, another version). */
export class CheckpointFormatError extends Error {
  override readonly name = 'CheckpointFormatError';
}

function parseCheckpoint(text: string, location: string): ReplayCheckpoint {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CheckpointFormatError(`${location}: not JSON (${(error as Error).message})`);
  }
  const c = value as Partial<ReplayCheckpoint> | null;
  if (c === null || typeof c !== 'object' || c.version !== 1 || typeof c.bucket !== 'string' || typeof c.prefix !== 'string' || typeof c.lastAppliedKey !== 'string'
    || !Number.isInteger(c.planIndex) || !Number.isInteger(c.changesApplied)) {
    throw new CheckpointFormatError(`${location}: not a version 1 replay checkpoint`);
  }
  return c as ReplayCheckpoint;
}

/** A checkpoint in a local file, replaced atomically (written aside, then renamed over). */
export class FileCheckpointStore implements CheckpointStore {
  constructor(readonly path: string) {}

  get location(): string {
    return this.path;
  }

  async load(): Promise<ReplayCheckpoint | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return parseCheckpoint(text, this.path);
  }

  async save(checkpoint: ReplayCheckpoint): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const aside = `${this.path}.${process.pid}.tmp`;
    await writeFile(aside, `${JSON.stringify(checkpoint, null, 2)}\n`);
    await rename(aside, this.path);
  }
}

/** A checkpoint as an S3 object (a PutObject replaces it whole: readers never see half of one). */
export class S3CheckpointStore implements CheckpointStore {
  constructor(private readonly options: { readonly s3: S3Client; readonly bucket: string; readonly key: string }) {}

  get location(): string {
    return `s3://${this.options.bucket}/${this.options.key}`;
  }

  async load(): Promise<ReplayCheckpoint | undefined> {
    try {
      const object = await this.options.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.options.key }));
      return parseCheckpoint(await object.Body!.transformToString('utf8'), this.location);
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  async save(checkpoint: ReplayCheckpoint): Promise<void> {
    await this.options.s3.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: this.options.key, Body: JSON.stringify(checkpoint, null, 2), ContentType: 'application/json' }));
  }
}

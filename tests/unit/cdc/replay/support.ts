/** An in-memory S3 bucket behind aws-sdk-client-mock, and sinks that record or fail. */
import { gzipSync } from 'node:zlib';
import type { GetObjectCommandInput, GetObjectCommandOutput, ListObjectsV2CommandInput, PutObjectCommandInput } from '@aws-sdk/client-s3';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { ChangeEvent } from '../../../../lib/cdc/change-event';
import type { Sink, SinkFailure, SinkItem, SinkResult } from '../../../../lib/sinks/sink';

/** A bucket of objects in a Map, served by a mocked S3Client (listing in pages of `pageSize`). */
export function fakeBucket(pageSize = 1000): { s3: S3Client; objects: Map<string, Buffer>; put(key: string, body: string, gzip?: boolean): void } {
  const objects = new Map<string, Buffer>();
  const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const mock = mockClient(s3);
  mock.on(ListObjectsV2Command).callsFake((input: ListObjectsV2CommandInput) => {
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
    const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
    const page = keys.slice(start, start + pageSize);
    const truncated = start + pageSize < keys.length;
    return Promise.resolve({ Contents: page.map((Key) => ({ Key, Size: objects.get(Key)!.length })), IsTruncated: truncated, ...(truncated ? { NextContinuationToken: String(start + pageSize) } : {}) });
  });
  mock.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
    const body = objects.get(input.Key!);
    if (!body) return Promise.reject(Object.assign(new Error('no such key'), { name: 'NoSuchKey' }));
    return Promise.resolve({ Body: { transformToByteArray: () => Promise.resolve(new Uint8Array(body)), transformToString: () => Promise.resolve(body.toString('utf8')) } } as unknown as GetObjectCommandOutput);
  });
  mock.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
    objects.set(input.Key!, Buffer.from(input.Body as string));
    return Promise.resolve({});
  });
  return {
    s3,
    objects,
    put: (key, body, gzip = false) => void objects.set(key, gzip ? gzipSync(body) : Buffer.from(body)),
  };
}

/** A sink that records every change it is given and answers what `fail` says. */
export class RecordingSink implements Sink<ChangeEvent> {
  readonly calls: SinkItem<ChangeEvent>[][] = [];

  constructor(private readonly fail: (item: SinkItem<ChangeEvent>, call: number) => SinkFailure['kind'] | undefined = () => undefined) {}

  get changes(): ChangeEvent[] {
    return this.calls.flat().map((i) => i.value);
  }

  write(items: readonly SinkItem<ChangeEvent>[]): Promise<SinkResult> {
    this.calls.push([...items]);
    const call = this.calls.length;
    const failures = items.flatMap((item): SinkFailure[] => {
      const kind = this.fail(item, call);
      return kind ? [{ ref: item.ref, kind, code: kind === 'permanent' ? 'ItemTooLarge' : 'ThrottlingException', message: 'as told' }] : [];
    });
    return Promise.resolve({ failures });
  }
}

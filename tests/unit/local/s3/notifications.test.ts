/** Local S3 → Lambda notifications: matching rules, AWS's event shape, async retries. */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { encodeEventKey, S3NotificationWatcher } from '../../../../lib/local/s3/notifications';

const s3Mock = mockClient(S3Client);
const s3 = new S3Client({ region: 'eu-west-1' });
const rules = [{ function: 'jsonToParquet', event: 's3:ObjectCreated:*', prefix: 'raw/', suffix: '.gz' }];

function listing(objects: { key: string; etag: string; size?: number }[]): void {
  s3Mock.on(ListObjectsV2Command).resolves({ Contents: objects.map((o) => ({ Key: o.key, ETag: `"${o.etag}"`, Size: o.size ?? 10 })), IsTruncated: false });
}

beforeEach(() => s3Mock.reset());

it('sends each new matching object once, as an ObjectCreated:Put event in AWS shape', async () => {
  const events: S3Event[] = [];
  const watcher = new S3NotificationWatcher(s3, 'lake', rules, (_fn, event) => { events.push(event); return Promise.resolve(); });
  listing([{ key: 'raw/event_type=click/a b.gz', etag: 'e1', size: 42 }, { key: 'raw/x.json', etag: 'e2' }, { key: 'curated/y.gz', etag: 'e3' }]);
  await watcher.poll();
  await watcher.poll();
  expect(events).toHaveLength(1);
  const record = events[0]!.Records[0]!;
  expect(record).toMatchObject({ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'lake', arn: 'arn:aws:s3:::lake' }, object: { key: 'raw/event_type%3Dclick/a+b.gz', size: 42, eTag: 'e1' } } });
  expect(decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '))).toBe('raw/event_type=click/a b.gz');
  // A new version of the same key is a new event.
  listing([{ key: 'raw/event_type=click/a b.gz', etag: 'e9' }]);
  await watcher.poll();
  expect(events).toHaveLength(2);
});

it('retries a failing invocation twice, then records the failure with the key', async () => {
  let calls = 0;
  const watcher = new S3NotificationWatcher(s3, 'lake', rules, () => { calls++; return Promise.reject(new Error('boom')); });
  listing([{ key: 'raw/a.gz', etag: 'e1' }]);
  await watcher.drain();
  expect(calls).toBe(3);
  expect(watcher.failed).toEqual([{ rule: rules[0], key: 'raw/a.gz', error: 'Error: boom', attempts: 3 }]);
  expect(watcher.delivered).toBe(0);
});

it('hands an event whose retries are spent to the failure destination, with the last error', async () => {
  const destined: { key: string; error: unknown; eventKey: string }[] = [];
  const watcher = new S3NotificationWatcher(s3, 'lake', rules, () => Promise.reject(new TypeError('bad')), (failure, event, error) => {
    destined.push({ key: failure.key, error, eventKey: event.Records[0]!.s3.object.key });
    return Promise.resolve();
  });
  listing([{ key: 'raw/b.gz', etag: 'e1' }]);
  await watcher.drain();
  expect(destined).toHaveLength(1);
  expect(destined[0]!.key).toBe('raw/b.gz');
  expect(destined[0]!.eventKey).toBe('raw/b.gz');
  expect(destined[0]!.error).toBeInstanceOf(TypeError);
});

it('encodes keys as S3 does in notifications', () => {
  expect(encodeEventKey('a b/c=d+e.gz')).toBe('a+b/c%3Dd%2Be.gz');
});

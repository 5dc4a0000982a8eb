/**
 * The local runtime on serverless.yml: an S3 notification json-to-parquet keeps failing on is
 * retried as Lambda retries asynchronous invocations, then lands in the function's declared
 * on-failure queue in AWS's record shape — not lost.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { LocalRuntime } from '../../lib/local/runtime';
import { onFailureQueueOf, startLocalRuntime } from '../../lib/local/runtime';

let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await startLocalRuntime();
}, 120_000);
afterAll(async () => {
  await runtime?.stop();
});

it('sends an object json-to-parquet cannot read to its on-failure queue after three attempts', async () => {
  const [stream] = runtime.deliveryStreams.values();
  const bucket = stream!.config.bucket;
  const key = 'raw/event_type=click/dt=2026-11-25/not-really-gzip.gz';
  await runtime.clients.s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'this is not gzip' }));
  await runtime.settle();

  const [watcher] = runtime.notifications;
  expect(watcher!.failed).toHaveLength(1);
  expect(watcher!.failed[0]).toMatchObject({ key, attempts: 3 });

  const queueUrl = onFailureQueueOf(runtime.service, runtime.resources, 'jsonToParquet');
  expect(queueUrl).toMatch(/json-to-parquet-failures/);
  const { Messages } = await runtime.clients.sqs().send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  expect(Messages).toHaveLength(1);
  const record = JSON.parse(Messages![0]!.Body!) as {
    requestContext: { condition: string; functionArn: string; approximateInvokeCount: number };
    requestPayload: { Records: { s3: { object: { key: string } } }[] };
    responsePayload: { errorMessage: string };
  };
  expect(record.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 3 });
  expect(record.requestContext.functionArn).toMatch(/:function:shardline-dev-jsonToParquet:\$LATEST$/);
  expect(decodeURIComponent(record.requestPayload.Records[0]!.s3.object.key)).toBe(key);
  expect(record.responsePayload.errorMessage.length).toBeGreaterThan(0);
}, 60_000);

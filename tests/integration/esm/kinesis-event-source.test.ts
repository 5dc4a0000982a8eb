/**
 * The local Kinesis event source mapping against kinesalite (and fauxqs for the on-failure
 * destination): order per shard, ReportBatchItemFailures checkpoints, bisection isolating a
 * poison record, bounded retries ending in AWS's on-failure message — and every record counted.
 */
import { CreateStreamCommand, PutRecordsCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { Emulators } from '../../../lib/local/emulators';
import { startEmulators } from '../../../lib/local/emulators';
import type { KinesisMappingConfig } from '../../../lib/local/esm/kinesis-event-source';
import { KinesisEventSource } from '../../../lib/local/esm/kinesis-event-source';

let emulators: Emulators<'kinesis' | 'sqs' | 's3'>;
let streamCount = 0;

beforeAll(async () => {
  emulators = await startEmulators({ services: ['kinesis', 'sqs', 's3'] });
}, 60_000);

afterAll(async () => {
  await emulators?.stop();
});

const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:000000000000:function:consumer';

/** A fresh stream with `records` put in order, spread over `shards` by partition key. */
async function streamWith(records: string[], shards = 1): Promise<Pick<KinesisMappingConfig, 'streamName' | 'streamArn'>> {
  const streamName = `esm-test-${++streamCount}`;
  const kinesis = emulators.clients.kinesis();
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards }));
  await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30 }, { StreamName: streamName });
  for (let i = 0; i < records.length; i += 500) {
    const out = await kinesis.send(new PutRecordsCommand({
      StreamName: streamName,
      Records: records.slice(i, i + 500).map((data) => ({ Data: Buffer.from(data), PartitionKey: data.split(':')[0]! })),
    }));
    expect(out.FailedRecordCount).toBe(0);
  }
  return { streamName, streamArn: `arn:aws:kinesis:eu-west-1:000000000000:stream/${streamName}` };
}

const payloads = (event: KinesisStreamEvent): string[] => event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString());

it('delivers every record once, in order per shard, in batches of at most batchSize', async () => {
  const records = Array.from({ length: 250 }, (_, i) => `k${i % 7}:${i}`);
  const stream = await streamWith(records, 2);
  const seen: string[] = [];
  const batchSizes: number[] = [];
  const source = new KinesisEventSource({ ...stream, functionArn: FUNCTION_ARN, batchSize: 40 }, emulators.clients.kinesis(), undefined, (_arn, event) => {
    batchSizes.push(event.Records.length);
    expect(event.Records[0]).toMatchObject({ eventSource: 'aws:kinesis', eventName: 'aws:kinesis:record', eventSourceARN: stream.streamArn });
    seen.push(...payloads(event));
    return Promise.resolve(null);
  });
  await source.drain();
  expect([...seen].sort()).toEqual([...records].sort());
  expect(Math.max(...batchSizes)).toBeLessThanOrEqual(40);
  // Per partition key (hence per shard) the order of puts is kept.
  for (let k = 0; k < 7; k++) {
    const ofKey = seen.filter((r) => r.startsWith(`k${k}:`)).map((r) => Number(r.split(':')[1]));
    expect(ofKey).toEqual([...ofKey].sort((a, b) => a - b));
  }
  expect(source.stats).toMatchObject({ recordsProcessed: 250, recordsDiscarded: 0, failedInvocations: 0 });
});

it('ReportBatchItemFailures: retries from the lowest reported sequence number', async () => {
  const stream = await streamWith(Array.from({ length: 10 }, (_, i) => `k:${i}`));
  const invocations: string[][] = [];
  let failedOnce = false;
  const source = new KinesisEventSource({ ...stream, functionArn: FUNCTION_ARN, batchSize: 10, reportBatchItemFailures: true }, emulators.clients.kinesis(), undefined, (_arn, event) => {
    invocations.push(payloads(event));
    if (failedOnce) return Promise.resolve({ batchItemFailures: [] });
    failedOnce = true;
    // Report records 6 and 4 failed: Lambda resumes at 4, the lowest.
    return Promise.resolve({ batchItemFailures: [6, 4].map((i) => ({ itemIdentifier: event.Records[i]!.kinesis.sequenceNumber })) });
  });
  await source.drain();
  expect(invocations).toEqual([Array.from({ length: 10 }, (_, i) => `k:${i}`), Array.from({ length: 6 }, (_, i) => `k:${i + 4}`)]);
  expect(source.stats.recordsProcessed).toBe(10);
});

it('a malformed item identifier fails the whole batch', async () => {
  const stream = await streamWith(['k:0', 'k:1']);
  const calls: number[] = [];
  const source = new KinesisEventSource({ ...stream, functionArn: FUNCTION_ARN, reportBatchItemFailures: true }, emulators.clients.kinesis(), undefined, (_arn, event) => {
    calls.push(event.Records.length);
    return Promise.resolve(calls.length === 1 ? { batchItemFailures: [{ itemIdentifier: '' }] } : {});
  });
  await source.drain();
  expect(calls).toEqual([2, 2]);
});

it('bisects around a poison record, then sends it to the on-failure queue after maximumRetryAttempts', async () => {
  const sqs = emulators.clients.sqs();
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `esm-on-failure-${streamCount}` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const records = Array.from({ length: 8 }, (_, i) => `k:${i}`);
  const stream = await streamWith(records);
  const processed: string[] = [];
  const invocations: string[][] = [];
  const source = new KinesisEventSource({
    ...stream, functionArn: FUNCTION_ARN, batchSize: 8, bisectBatchOnFunctionError: true, maximumRetryAttempts: 2,
    onFailure: { queueUrl: QueueUrl!, queueArn: Attributes!.QueueArn! },
  }, emulators.clients.kinesis(), sqs, (_arn, event) => {
    const batch = payloads(event);
    invocations.push(batch);
    if (batch.includes('k:5')) return Promise.reject(new Error('poison'));
    processed.push(...batch);
    return Promise.resolve(null);
  });
  await source.drain();
  expect([...processed].sort()).toEqual(records.filter((r) => r !== 'k:5').sort());
  // 8 → 4+4 → 2+2 → 1+1, then the poison record alone: the first try and 2 retries.
  expect(invocations.filter((b) => b.length === 1 && b[0] === 'k:5')).toHaveLength(3);
  expect(source.stats).toMatchObject({ recordsProcessed: 7, recordsDiscarded: 1, discardedBatches: 1 });
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  expect(Messages).toHaveLength(1);
  const message = JSON.parse(Messages![0]!.Body!) as { requestContext: { condition: string; functionArn: string }; KinesisBatchInfo: { batchSize: number; shardId: string; streamArn: string; startSequenceNumber: string } };
  expect(message.requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', functionArn: FUNCTION_ARN });
  expect(message.KinesisBatchInfo).toMatchObject({ batchSize: 1, shardId: 'shardId-000000000000', streamArn: stream.streamArn });
  // Every record accounted for: processed or reported to the destination.
  expect(source.stats.recordsProcessed + source.stats.recordsDiscarded).toBe(records.length);
});

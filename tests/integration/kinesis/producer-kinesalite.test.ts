/**
 * The producer against kinesalite: 5,000 telemetry readings into a 4-shard stream, aggregated and
 * not, read back from every shard and compared with what was put, record for record.
 */
import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { generateTelemetry } from '../../../lib/datasets/telemetry';
import { isAggregated } from '../../../lib/kinesis/aggregation';
import { effectiveHashKey } from '../../../lib/kinesis/hash-key';
import { KinesisProducer, hotShardSummary, readStream, type ProducerReport } from '../../../lib/kinesis/producer';
import { useEmulators } from '../../support/emulators';

const emulators = useEmulators({ services: ['kinesis'] });
const READINGS = 5_000;

async function createStream(kinesis: KinesisClient, name: string, shards: number): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (;;) {
    const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (summary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function produce(streamName: string, aggregate: boolean): Promise<{ put: string[]; report: ProducerReport }> {
  const kinesis = emulators().clients.kinesis();
  await createStream(kinesis, streamName, 4);
  const producer = new KinesisProducer({ client: kinesis, streamName, aggregate });
  const put: string[] = [];
  for (const reading of generateTelemetry(READINGS, { seed: 11, devices: 40 })) {
    const data = JSON.stringify(reading);
    put.push(`${reading.device_id}\n${data}`);
    await producer.put(data, { partitionKey: reading.device_id });
  }
  return { put, report: await producer.close() };
}

async function readBack(streamName: string): Promise<{ got: string[]; kinesisRecords: number; aggregates: number; perShard: Record<string, number> }> {
  const contents = await readStream(emulators().clients.kinesis(), { streamName });
  expect(contents).toHaveLength(4);
  const got: string[] = [];
  const perShard: Record<string, number> = {};
  let kinesisRecords = 0;
  let aggregates = 0;
  for (const { shard, userRecords, kinesisRecords: count } of contents) {
    kinesisRecords += count;
    perShard[shard.shardId] = userRecords.length;
    for (const user of userRecords) {
      // Each user record sits on the shard its own partition key maps to.
      const hash = effectiveHashKey(user.partitionKey, user.explicitHashKey);
      expect(hash >= shard.startingHashKey && hash <= shard.endingHashKey).toBe(true);
      if (user.aggregated && user.subSequenceNumber === 0) aggregates++;
      got.push(`${user.partitionKey}\n${user.data.toString('utf8')}`);
    }
  }
  return { got, kinesisRecords, aggregates, perShard };
}

test('aggregated: every reading lands once, on its own shard, inside per-shard aggregates', async () => {
  const { put, report } = await produce('telemetry-aggregated', true);
  const { got, kinesisRecords, aggregates, perShard } = await readBack('telemetry-aggregated');
  expect(got.sort()).toEqual([...put].sort());
  expect(report).toMatchObject({ userRecordsPut: READINGS, userRecordsWritten: READINGS, userRecordsFailed: 0, kinesisRecordsWritten: kinesisRecords, shardMismatches: 0 });
  expect(aggregates).toBeGreaterThan(0);
  expect(kinesisRecords).toBeLessThan(READINGS / 10);
  // The report's per-shard counts (from PutRecords' ShardIds) match what was read back.
  expect(Object.fromEntries(Object.entries(report.shards).map(([id, s]) => [id, s.userRecords]))).toEqual(perShard);
  expect(hotShardSummary(report.shards, 4).ratio).toBeLessThan(2);
}, 60_000);

test('not aggregated: every reading lands once, as its own Kinesis record, on its own shard', async () => {
  const { put, report } = await produce('telemetry-plain', false);
  const { got, kinesisRecords, aggregates } = await readBack('telemetry-plain');
  expect(got.sort()).toEqual([...put].sort());
  expect(aggregates).toBe(0);
  expect(kinesisRecords).toBe(READINGS);
  expect(report).toMatchObject({ userRecordsWritten: READINGS, kinesisRecordsWritten: READINGS, userRecordsFailed: 0 });
  const contents = await readStream(emulators().clients.kinesis(), { streamName: 'telemetry-plain' });
  for (const { userRecords } of contents) for (const user of userRecords) expect(isAggregated(user.data)).toBe(false);
}, 60_000);

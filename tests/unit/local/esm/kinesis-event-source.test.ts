/**
 * The Kinesis event source mapping's reading of a stream where kinesalite cannot show it: an
 * expired iterator, empty GetRecords pages while behind or on a closed shard, and its settings'
 * ranges. Kinesis is mocked; the function is a recording stub.
 */
import { ExpiredIteratorException, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { Shard, _Record } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { KinesisMappingConfig } from '../../../../lib/local/esm/kinesis-event-source';
import { KinesisEventSource, KinesisMappingConfigError } from '../../../../lib/local/esm/kinesis-event-source';

const kinesisMock = mockClient(KinesisClient);
const kinesis = new KinesisClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

const CONFIG: KinesisMappingConfig = {
  functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:consumer',
  streamName: 's',
  streamArn: 'arn:aws:kinesis:eu-west-1:000000000000:stream/s',
};

const record = (n: number): _Record => ({
  SequenceNumber: String(49_000_000 + n), PartitionKey: 'k', Data: Buffer.from(`r${n}`), ApproximateArrivalTimestamp: new Date(),
});

/** A shard of the listing; closed when it has an ending sequence number. */
const shard = (n: number, more: { parent?: string; ending?: string } = {}): Shard => ({
  ShardId: `shardId-00000000000${n}`,
  ...(more.parent ? { ParentShardId: more.parent } : {}),
  HashKeyRange: { StartingHashKey: '0', EndingHashKey: '340282366920938463463374607431768211455' },
  SequenceNumberRange: { StartingSequenceNumber: String(n * 10 + 1), ...(more.ending ? { EndingSequenceNumber: more.ending } : {}) },
});

const OPEN = shard(0);

/** A mapping whose function records the payloads it gets. */
function recordingSource(config: Partial<KinesisMappingConfig> = {}): { source: KinesisEventSource; seen: string[] } {
  const seen: string[] = [];
  const source = new KinesisEventSource({ ...CONFIG, ...config }, kinesis, undefined, (_arn, event: KinesisStreamEvent) => {
    seen.push(...event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString()));
    return Promise.resolve(null);
  });
  return { source, seen };
}

beforeEach(() => {
  kinesisMock.reset();
});

describe('an expired shard iterator', () => {
  it('is replaced by one after the last record read, so nothing is skipped or read twice', async () => {
    kinesisMock.on(ListShardsCommand).resolves({ Shards: [OPEN] });
    kinesisMock.on(GetShardIteratorCommand, { ShardIteratorType: 'TRIM_HORIZON' }).resolves({ ShardIterator: 'it-0' });
    kinesisMock.on(GetShardIteratorCommand, { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: record(2).SequenceNumber }).resolves({ ShardIterator: 'it-2' });
    kinesisMock.on(GetRecordsCommand, { ShardIterator: 'it-0' }).resolves({ Records: [record(1), record(2)], NextShardIterator: 'it-1', MillisBehindLatest: 0 });
    kinesisMock.on(GetRecordsCommand, { ShardIterator: 'it-1' }).rejects(new ExpiredIteratorException({ message: 'Iterator expired', $metadata: {} }));
    kinesisMock.on(GetRecordsCommand, { ShardIterator: 'it-2' }).resolves({ Records: [record(3)], NextShardIterator: 'it-3', MillisBehindLatest: 0 });
    kinesisMock.on(GetRecordsCommand, { ShardIterator: 'it-3' }).resolves({ Records: [], NextShardIterator: 'it-4', MillisBehindLatest: 0 });
    const { source, seen } = recordingSource();
    await source.drain();
    expect(seen).toEqual(['r1', 'r2', 'r3']);
    expect(kinesisMock.commandCalls(GetShardIteratorCommand).map((c) => c.args[0].input.ShardIteratorType)).toEqual(['TRIM_HORIZON', 'AFTER_SEQUENCE_NUMBER']);
  });

  it('other GetRecords errors still reject drain()', async () => {
    kinesisMock.on(ListShardsCommand).resolves({ Shards: [OPEN] });
    kinesisMock.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
    kinesisMock.on(GetRecordsCommand).rejects(Object.assign(new Error('boom'), { name: 'InternalFailure' }));
    const { source } = recordingSource();
    await expect(source.drain()).rejects.toThrow('boom');
  });
});

describe('empty GetRecords pages', () => {
  it('do not end a drain while MillisBehindLatest says records are still ahead', async () => {
    kinesisMock.on(ListShardsCommand).resolves({ Shards: [OPEN] });
    kinesisMock.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
    kinesisMock.on(GetRecordsCommand, { ShardIterator: 'it-0' }).resolves({ Records: [], NextShardIterator: 'it-1', MillisBehindLatest: 86_400_000 });
    kinesisMock.on(GetRecordsCommand, { ShardIterator: 'it-1' }).resolves({ Records: [], NextShardIterator: 'it-2', MillisBehindLatest: 3_600_000 });
    kinesisMock.on(GetRecordsCommand, { ShardIterator: 'it-2' }).resolves({ Records: [record(1)], NextShardIterator: 'it-3', MillisBehindLatest: 0 });
    kinesisMock.on(GetRecordsCommand, { ShardIterator: 'it-3' }).resolves({ Records: [], NextShardIterator: 'it-4', MillisBehindLatest: 0 });
    const { source, seen } = recordingSource();
    await source.drain();
    expect(seen).toEqual(['r1']);
    expect(kinesisMock.commandCalls(GetRecordsCommand)).toHaveLength(4);
  });

  it('do not end a closed shard before its end: its child is read in the same drain()', async () => {
    const parent = shard(0, { ending: '9' });
    const child = shard(1, { parent: parent.ShardId! });
    kinesisMock.on(ListShardsCommand).resolves({ Shards: [parent, child] });
    kinesisMock.on(GetShardIteratorCommand, { ShardId: parent.ShardId }).resolves({ ShardIterator: 'p-0' });
    kinesisMock.on(GetShardIteratorCommand, { ShardId: child.ShardId }).resolves({ ShardIterator: 'c-0' });
    kinesisMock.on(GetRecordsCommand, { ShardIterator: 'p-0' }).resolves({ Records: [record(1)], NextShardIterator: 'p-1', MillisBehindLatest: 0 });
    kinesisMock.on(GetRecordsCommand, { ShardIterator: 'p-1' }).resolves({ Records: [], NextShardIterator: 'p-2', MillisBehindLatest: 0 });
    kinesisMock.on(GetRecordsCommand, { ShardIterator: 'p-2' }).resolves({ Records: [], NextShardIterator: 'p-3', MillisBehindLatest: 0 });
    kinesisMock.on(GetRecordsCommand, { ShardIterator: 'p-3' }).resolves({ Records: [], MillisBehindLatest: 0 });
    kinesisMock.on(GetRecordsCommand, { ShardIterator: 'c-0' }).resolves({ Records: [record(2)], NextShardIterator: 'c-1', MillisBehindLatest: 0 });
    kinesisMock.on(GetRecordsCommand, { ShardIterator: 'c-1' }).resolves({ Records: [], NextShardIterator: 'c-2', MillisBehindLatest: 0 });
    const { source, seen } = recordingSource();
    await source.drain();
    expect(seen).toEqual(['r1', 'r2']);
  });
});

describe('a child shard appearing after the first poll', () => {
  it('is read from TRIM_HORIZON even when the mapping started at LATEST', async () => {
    const child = shard(1, { parent: 'shardId-000000000000' });
    kinesisMock.on(ListShardsCommand).resolvesOnce({ Shards: [shard(0)] }).resolves({ Shards: [shard(0, { ending: '9' }), child] });
    kinesisMock.on(GetShardIteratorCommand).resolves({ ShardIterator: 'x-0' });
    kinesisMock.on(GetRecordsCommand).resolves({ Records: [], MillisBehindLatest: 0 });
    const { source } = recordingSource({ startingPosition: 'LATEST' });
    await source.drain();
    expect(kinesisMock.commandCalls(GetShardIteratorCommand).map((c) => [c.args[0].input.ShardId, c.args[0].input.ShardIteratorType])).toEqual([
      ['shardId-000000000000', 'LATEST'],
      ['shardId-000000000001', 'TRIM_HORIZON'],
    ]);
  });
});

describe('stop()', () => {
  it('before drain() or run() makes them resolve without reading', async () => {
    const { source } = recordingSource();
    source.stop();
    await source.drain();
    await source.run(10);
    expect(kinesisMock.calls()).toHaveLength(0);
  });
});

describe('settings', () => {
  it.each<[keyof KinesisMappingConfig, number]>([
    ['batchSize', 0], ['batchSize', 10_001], ['batchSize', 1.5],
    ['maximumBatchingWindowInSeconds', -1], ['maximumBatchingWindowInSeconds', 301],
    ['parallelizationFactor', 0], ['parallelizationFactor', 11],
    ['maximumRetryAttempts', -2], ['maximumRetryAttempts', 10_001],
    ['maximumRecordAgeInSeconds', 59], ['maximumRecordAgeInSeconds', 0], ['maximumRecordAgeInSeconds', 604_801],
  ])('rejects %s %p with a KinesisMappingConfigError', (setting, value) => {
    const make = (): KinesisEventSource => new KinesisEventSource({ ...CONFIG, [setting]: value }, kinesis, undefined, () => Promise.resolve(null));
    expect(make).toThrow(KinesisMappingConfigError);
    expect(make).toThrow(expect.objectContaining({ setting }) as Error);
  });

  it.each<Partial<KinesisMappingConfig>>([
    { batchSize: 1 }, { batchSize: 10_000 }, { maximumBatchingWindowInSeconds: 300 }, { parallelizationFactor: 10 },
    { maximumRetryAttempts: -1 }, { maximumRetryAttempts: 0 }, { maximumRecordAgeInSeconds: -1 }, { maximumRecordAgeInSeconds: 60 },
  ])('accepts %p', (setting) => {
    expect(() => new KinesisEventSource({ ...CONFIG, ...setting }, kinesis, undefined, () => Promise.resolve(null))).not.toThrow();
  });
});

/** `AWS::Kinesis::Stream` → a Kinesis data stream in the emulator. */
import {
  CreateStreamCommand,
  DecreaseStreamRetentionPeriodCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  type StreamDescriptionSummary,
} from '@aws-sdk/client-kinesis';
import type { AwsClients } from '../../aws/clients';
import { awsErrorName, generatedName, ResourceCreationError, ignoredProperties, propertyPath, type DeclaredResource, type ResourceCreator } from './declared-resource';
import { readObject } from './property-readers';

/**
 * Shards of an on-demand stream locally. AWS starts an on-demand stream with 4 MB/s of write
 * capacity, i.e. 4 shards, and scales it; the emulator does not scale.
 */
export const ON_DEMAND_SHARD_COUNT = 4;
/** A provisioned stream declared without `ShardCount`. */
export const DEFAULT_SHARD_COUNT = 1;
const DEFAULT_RETENTION_HOURS = 24;
const ACTIVE_TIMEOUT_MS = 30_000;

const APPLIED = ['Name', 'ShardCount', 'StreamModeDetails', 'RetentionPeriodHours'] as const;

/** Creates the stream (`ShardCount`, or {@link ON_DEMAND_SHARD_COUNT} when on demand), waits until it is ACTIVE, sets its retention. */
export const kinesisStreamCreator: ResourceCreator = {
  type: 'AWS::Kinesis::Stream',
  service: 'kinesis',
  async create({ logicalId, properties, resolver, clients, stackName }): Promise<DeclaredResource> {
    const path = (property: string): string => propertyPath(logicalId, property);
    const name = properties.Name === undefined ? generatedName(stackName, logicalId, 128) : resolver.resolveString(properties.Name, path('Name'));
    const mode = properties.StreamModeDetails === undefined
      ? 'PROVISIONED'
      : resolver.resolveString(readObject(resolver, properties.StreamModeDetails, path('StreamModeDetails')).StreamMode ?? 'PROVISIONED', path('StreamModeDetails.StreamMode'));
    const shardCount = mode === 'ON_DEMAND'
      ? ON_DEMAND_SHARD_COUNT
      : properties.ShardCount === undefined
        ? DEFAULT_SHARD_COUNT
        : resolver.resolveNumber(properties.ShardCount, path('ShardCount'));
    const retentionHours = properties.RetentionPeriodHours === undefined
      ? DEFAULT_RETENTION_HOURS
      : resolver.resolveNumber(properties.RetentionPeriodHours, path('RetentionPeriodHours'));

    const kinesis = clients.kinesis();
    let status: DeclaredResource['status'] = 'created';
    try {
      // Only the name and shard count: emulators reject StreamModeDetails.
      await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
    } catch (error) {
      if (awsErrorName(error) !== 'ResourceInUseException') throw error;
      status = 'existed';
    }
    let summary = await waitUntilActive(logicalId, clients, name);
    if (summary.RetentionPeriodHours !== retentionHours) {
      const input = { StreamName: name, RetentionPeriodHours: retentionHours };
      await kinesis.send(
        retentionHours > (summary.RetentionPeriodHours ?? DEFAULT_RETENTION_HOURS)
          ? new IncreaseStreamRetentionPeriodCommand(input)
          : new DecreaseStreamRetentionPeriodCommand(input),
      );
      summary = await waitUntilActive(logicalId, clients, name);
    }
    const arn = summary.StreamARN;
    if (arn === undefined) throw new ResourceCreationError(logicalId, `DescribeStreamSummary ${name} answered without a StreamARN`);
    return {
      logicalId,
      type: this.type,
      name,
      arn,
      ref: name,
      attributes: { Arn: arn },
      status,
      ignoredProperties: ignoredProperties(properties, APPLIED),
    };
  },
};

async function waitUntilActive(logicalId: string, clients: AwsClients, name: string): Promise<StreamDescriptionSummary> {
  const deadline = Date.now() + ACTIVE_TIMEOUT_MS;
  for (;;) {
    const { StreamDescriptionSummary: summary } = await clients.kinesis().send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (summary?.StreamStatus === 'ACTIVE') return summary;
    if (Date.now() > deadline) throw new ResourceCreationError(logicalId, `Kinesis stream ${name} is still ${summary?.StreamStatus ?? 'unknown'} after ${ACTIVE_TIMEOUT_MS} ms`);
    await new Promise((wait) => setTimeout(wait, 50));
  }
}

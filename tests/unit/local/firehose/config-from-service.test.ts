/** The local delivery streams take serverless.yml's own settings, not a second hand-kept copy. */
import { deliveryStreamsOf, DeliveryStreamConfigError } from '../../../../lib/local/firehose/config-from-service';
import { loadServiceDefinition } from '../../../../lib/local/service';
import type { ServiceDefinition } from '../../../../lib/local/service';

const arnOf = (reference: string): string => `arn:aws:lambda:eu-west-1:000000000000:function:${reference}`;

it('reads the delivery stream of serverless.yml as declared', async () => {
  const service = await loadServiceDefinition({ stage: 'dev' });
  const [config, ...others] = deliveryStreamsOf(service, arnOf);
  expect(others).toHaveLength(0);
  expect(config).toMatchObject({
    name: 'shardline-dev-clickstream', bucket: 'shardline-dev-data-eu-west-1', compression: 'GZIP', dynamicPartitioning: true, encrypted: true,
    prefix: 'raw/event_type=!{partitionKeyFromLambda:event_type}/dt=!{partitionKeyFromLambda:dt}/',
    errorOutputPrefix: 'processing-failed/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
    buffering: { sizeMb: 64, intervalSeconds: 60 },
    processor: { lambdaArn: arnOf('FirehoseCsvToJsonLambdaFunction'), bufferSizeMb: 1, bufferIntervalSeconds: 60, numberOfRetries: 3 },
  });
  expect(config!.formatConversion).toBeUndefined();
}, 60_000);

function fixture(destination: Record<string, unknown>): ServiceDefinition {
  return {
    service: 'fixture', provider: { stage: 'test', region: 'eu-west-1' },
    resources: {
      Resources: {
        Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'fixture-bucket' } },
        Db: { Type: 'AWS::Glue::Database', Properties: { DatabaseInput: { Name: 'fixture_db' } } },
        Table: { Type: 'AWS::Glue::Table', Properties: { TableInput: { Name: 'clickstream' } } },
        Stream: {
          Type: 'AWS::KinesisFirehose::DeliveryStream',
          Properties: { DeliveryStreamName: 'fixture-stream', ExtendedS3DestinationConfiguration: { BucketARN: { 'Fn::GetAtt': ['Bucket', 'Arn'] }, ...destination } },
        },
      },
    },
  };
}

it('turns on record format conversion with the schema the Glue table was generated from', () => {
  const [config] = deliveryStreamsOf(fixture({
    CompressionFormat: 'UNCOMPRESSED',
    DataFormatConversionConfiguration: {
      Enabled: 'true',
      OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
      SchemaConfiguration: { DatabaseName: { Ref: 'Db' }, TableName: { Ref: 'Table' } },
    },
  }), arnOf);
  expect(config!.formatConversion?.catalog).toEqual({ catalogId: '000000000000', region: 'eu-west-1', databaseName: 'fixture_db', tableName: 'clickstream' });
  expect(config!.formatConversion?.schema.name).toBe('clickstream');
  expect(config!.processor).toBeUndefined();
  expect(config!.buffering).toEqual({ sizeMb: 5, intervalSeconds: 300 }); // Firehose's defaults
});

it('names the property it cannot use', () => {
  expect(() => deliveryStreamsOf(fixture({ CompressionFormat: 'ZIP' }), arnOf)).toThrow(DeliveryStreamConfigError);
  expect(() => deliveryStreamsOf(fixture({ CompressionFormat: 'ZIP' }), arnOf)).toThrow(/CompressionFormat/);
  expect(() => deliveryStreamsOf(fixture({
    DataFormatConversionConfiguration: { Enabled: true, OutputFormatConfiguration: { Serializer: { OrcSerDe: {} } } },
  }), arnOf)).toThrow(/only Parquet output/);
});

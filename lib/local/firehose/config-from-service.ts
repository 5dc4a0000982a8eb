/**
 * The delivery streams that serverless.yml declares (`AWS::KinesisFirehose::DeliveryStream`
 * with an `ExtendedS3DestinationConfiguration`), as local delivery stream configurations: the
 * same names, prefixes, buffering hints, compression and processor settings as on AWS.
 */
import type { CloudFormationResource, JsonValue, ServiceDefinition } from '../service/service-definition';
import type { DeliveryStreamConfig, FormatConversionConfig, ProcessorConfig } from './delivery-stream';
import { getSchema } from '../../schemas/registry';

export class DeliveryStreamConfigError extends Error {
  override readonly name = 'DeliveryStreamConfigError';
}

type Json = Readonly<Record<string, JsonValue>>;

/** `{Fn::GetAtt: [Id, Arn]}` or `{Fn::GetAtt: "Id.Arn"}` → `Id`. */
function getAttId(value: JsonValue | undefined): string | undefined {
  const getAtt = (value as Json | null | undefined)?.['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

function bucketNameOf(value: JsonValue | undefined, resources: Readonly<Record<string, CloudFormationResource>>, where: string): string {
  if (typeof value === 'string' && value.startsWith('arn:aws:s3:::')) return value.slice('arn:aws:s3:::'.length);
  const id = getAttId(value);
  const bucket = id ? resources[id] : undefined;
  const name = bucket?.Type === 'AWS::S3::Bucket' ? bucket.Properties?.BucketName : undefined;
  if (typeof name !== 'string') throw new DeliveryStreamConfigError(`${where}.BucketARN: expected an ARN or GetAtt of a bucket with a BucketName`);
  return name;
}

const numberOr = (value: JsonValue | undefined, fallback: number): number => (value === undefined ? fallback : Number(value));

/** A Glue name given literally or as `Ref` to the declared database or table. */
function glueNameOf(value: JsonValue | undefined, resources: Readonly<Record<string, CloudFormationResource>>, input: 'DatabaseInput' | 'TableInput', where: string): string {
  if (typeof value === 'string') return value;
  const ref = (value as Json | null | undefined)?.Ref;
  const name = typeof ref === 'string' ? ((resources[ref]?.Properties?.[input] as Json | undefined)?.Name) : undefined;
  if (typeof name !== 'string') throw new DeliveryStreamConfigError(`${where}: expected a name or a Ref to a declared Glue ${input === 'TableInput' ? 'table' : 'database'}`);
  return name;
}

/**
 * Firehose's record format conversion, when enabled: the Glue table names the dataset schema
 * it was generated from (schemas/<table>.json), whose columns the Parquet file gets.
 */
function formatConversionOf(destination: Json, resources: Readonly<Record<string, CloudFormationResource>>, region: string, accountId: string, where: string): FormatConversionConfig | undefined {
  const conversion = destination.DataFormatConversionConfiguration as Json | undefined;
  if (!conversion || (conversion.Enabled !== true && conversion.Enabled !== 'true')) return undefined;
  const serializer = ((conversion.OutputFormatConfiguration as Json | undefined)?.Serializer ?? {}) as Json;
  if (!serializer.ParquetSerDe) throw new DeliveryStreamConfigError(`${where}.DataFormatConversionConfiguration: only Parquet output is supported locally`);
  const schemaConfiguration = (conversion.SchemaConfiguration ?? {}) as Json;
  const tableName = glueNameOf(schemaConfiguration.TableName, resources, 'TableInput', `${where}.DataFormatConversionConfiguration.SchemaConfiguration.TableName`);
  return {
    catalog: {
      catalogId: accountId, region,
      databaseName: glueNameOf(schemaConfiguration.DatabaseName, resources, 'DatabaseInput', `${where}.DataFormatConversionConfiguration.SchemaConfiguration.DatabaseName`),
      tableName,
    },
    schema: getSchema(tableName),
  };
}

/**
 * @param lambdaArnOf maps the processor's `LambdaArn` (a function's logical id from GetAtt, or
 * an ARN) to the ARN the local invoker knows it by.
 */
export function deliveryStreamsOf(
  service: ServiceDefinition,
  lambdaArnOf: (reference: string) => string,
  region = service.provider.region ?? 'eu-west-1',
  accountId = '000000000000',
): DeliveryStreamConfig[] {
  const resources = service.resources?.Resources ?? {};
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::KinesisFirehose::DeliveryStream')
    .map(([logicalId, resource]) => {
      const where = `Resources.${logicalId}.Properties`;
      const properties = (resource.Properties ?? {});
      const destination = properties.ExtendedS3DestinationConfiguration as Json | undefined;
      if (!destination) throw new DeliveryStreamConfigError(`${where}: only ExtendedS3DestinationConfiguration is supported locally`);
      if ((properties.DeliveryStreamType ?? 'DirectPut') !== 'DirectPut') throw new DeliveryStreamConfigError(`${where}.DeliveryStreamType: only DirectPut is supported locally`);
      const name = properties.DeliveryStreamName;
      if (typeof name !== 'string') throw new DeliveryStreamConfigError(`${where}.DeliveryStreamName: a literal name is required`);
      const hints = (destination.BufferingHints ?? {}) as Json;
      const processing = destination.ProcessingConfiguration as Json | undefined;
      const lambda = processing?.Enabled === true
        ? ((processing.Processors ?? []) as Json[]).find((p) => p.Type === 'Lambda')
        : undefined;
      let processor: ProcessorConfig | undefined;
      if (lambda) {
        const parameters = new Map(((lambda.Parameters ?? []) as Json[]).map((p) => [p.ParameterName as string, p.ParameterValue]));
        const arn = parameters.get('LambdaArn');
        const reference = typeof arn === 'string' ? arn : getAttId(arn);
        if (!reference) throw new DeliveryStreamConfigError(`${where}: the Lambda processor needs a LambdaArn`);
        processor = {
          lambdaArn: lambdaArnOf(reference),
          bufferSizeMb: numberOr(parameters.get('BufferSizeInMBs'), 1),
          bufferIntervalSeconds: numberOr(parameters.get('BufferIntervalInSeconds'), 60),
          numberOfRetries: numberOr(parameters.get('NumberOfRetries'), 3),
        };
      }
      const formatConversion = formatConversionOf(destination, resources, region, accountId, `${where}.ExtendedS3DestinationConfiguration`);
      const compression = destination.CompressionFormat ?? 'UNCOMPRESSED';
      if (compression !== 'UNCOMPRESSED' && compression !== 'GZIP') throw new DeliveryStreamConfigError(`${where}.CompressionFormat: ${JSON.stringify(compression)} is not supported locally`);
      return {
        name, region, accountId,
        bucket: bucketNameOf(destination.BucketARN, resources, `${where}.ExtendedS3DestinationConfiguration`),
        ...(typeof destination.Prefix === 'string' ? { prefix: destination.Prefix } : {}),
        ...(typeof destination.ErrorOutputPrefix === 'string' ? { errorOutputPrefix: destination.ErrorOutputPrefix } : {}),
        compression,
        buffering: { sizeMb: numberOr(hints.SizeInMBs, 5), intervalSeconds: numberOr(hints.IntervalInSeconds, 300) },
        dynamicPartitioning: (destination.DynamicPartitioningConfiguration as Json | undefined)?.Enabled === true,
        ...(processor ? { processor } : {}),
        ...(formatConversion ? { formatConversion } : {}),
        encrypted: properties.DeliveryStreamEncryptionConfigurationInput !== undefined,
      } satisfies DeliveryStreamConfig;
    });
}

/** `AWS::DynamoDB::Table` → a DynamoDB table in the emulator: keys, indexes, billing, stream, TTL. */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type BillingMode,
  type CreateTableCommandInput,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type KeyType,
  type LocalSecondaryIndex,
  type Projection,
  type ProjectionType,
  type ProvisionedThroughput,
  type ScalarAttributeType,
  type StreamViewType,
} from '@aws-sdk/client-dynamodb';
import {
  awsErrorName,
  generatedName,
  ignoredProperties,
  propertyPath,
  ResourceCreationError,
  type DeclaredResource,
  type ResourceCreator,
} from './declared-resource';
import type { IntrinsicResolver } from './intrinsics';
import { numberField, optionalStringListField, readObject, readObjectList, stringField, type JsonObject } from './property-readers';
import type { JsonValue } from './service-definition';

const APPLIED = [
  'TableName',
  'KeySchema',
  'AttributeDefinitions',
  'BillingMode',
  'ProvisionedThroughput',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'StreamSpecification',
  'TimeToLiveSpecification',
] as const;

function keySchema(list: readonly JsonObject[], path: string): KeySchemaElement[] {
  return list.map((key, i) => ({
    AttributeName: stringField(key, 'AttributeName', `${path}[${i}]`),
    KeyType: stringField(key, 'KeyType', `${path}[${i}]`) as KeyType,
  }));
}

function throughput(value: JsonValue | undefined, path: string): ProvisionedThroughput | undefined {
  if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return { ReadCapacityUnits: numberField(value, 'ReadCapacityUnits', path), WriteCapacityUnits: numberField(value, 'WriteCapacityUnits', path) };
}

function projection(index: JsonObject, path: string): Projection {
  const value = index.Projection;
  if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) return { ProjectionType: 'ALL' };
  const nonKeyAttributes = optionalStringListField(value, 'NonKeyAttributes', `${path}.Projection`);
  return {
    ProjectionType: (typeof value.ProjectionType === 'string' ? value.ProjectionType : 'ALL') as ProjectionType,
    ...(nonKeyAttributes === undefined ? {} : { NonKeyAttributes: nonKeyAttributes }),
  };
}

/** The CreateTable input the declaration stands for (its intrinsics resolved). */
export function createTableInputOf(
  logicalId: string,
  properties: Readonly<Record<string, JsonValue>>,
  resolver: IntrinsicResolver,
  stackName: string,
): CreateTableCommandInput {
  const path = (property: string): string => propertyPath(logicalId, property);
  const tableName = properties.TableName === undefined ? generatedName(stackName, logicalId, 255) : resolver.resolveString(properties.TableName, path('TableName'));
  const required = (property: string): JsonValue => {
    const value = properties[property];
    if (value === undefined) throw new ResourceCreationError(logicalId, `${path(property)} is required`);
    return value;
  };
  const attributeDefinitions: AttributeDefinition[] = readObjectList(resolver, required('AttributeDefinitions'), path('AttributeDefinitions')).map((definition, i) => ({
    AttributeName: stringField(definition, 'AttributeName', `${path('AttributeDefinitions')}[${i}]`),
    AttributeType: stringField(definition, 'AttributeType', `${path('AttributeDefinitions')}[${i}]`) as ScalarAttributeType,
  }));
  const billingMode = properties.BillingMode === undefined ? undefined : (resolver.resolveString(properties.BillingMode, path('BillingMode')) as BillingMode);
  const tableThroughput = properties.ProvisionedThroughput === undefined
    ? undefined
    : throughput(readObject(resolver, properties.ProvisionedThroughput, path('ProvisionedThroughput')), path('ProvisionedThroughput'));
  const globalIndexes: GlobalSecondaryIndex[] | undefined = properties.GlobalSecondaryIndexes === undefined
    ? undefined
    : readObjectList(resolver, properties.GlobalSecondaryIndexes, path('GlobalSecondaryIndexes')).map((index, i) => {
        const at = `${path('GlobalSecondaryIndexes')}[${i}]`;
        const indexThroughput = throughput(index.ProvisionedThroughput, `${at}.ProvisionedThroughput`);
        return {
          IndexName: stringField(index, 'IndexName', at),
          KeySchema: keySchema(readObjectList(resolver, index.KeySchema ?? null, `${at}.KeySchema`), `${at}.KeySchema`),
          Projection: projection(index, at),
          ...(indexThroughput === undefined ? {} : { ProvisionedThroughput: indexThroughput }),
        };
      });
  const localIndexes: LocalSecondaryIndex[] | undefined = properties.LocalSecondaryIndexes === undefined
    ? undefined
    : readObjectList(resolver, properties.LocalSecondaryIndexes, path('LocalSecondaryIndexes')).map((index, i) => {
        const at = `${path('LocalSecondaryIndexes')}[${i}]`;
        return {
          IndexName: stringField(index, 'IndexName', at),
          KeySchema: keySchema(readObjectList(resolver, index.KeySchema ?? null, `${at}.KeySchema`), `${at}.KeySchema`),
          Projection: projection(index, at),
        };
      });
  const stream = properties.StreamSpecification === undefined ? undefined : readObject(resolver, properties.StreamSpecification, path('StreamSpecification'));
  return {
    TableName: tableName,
    AttributeDefinitions: attributeDefinitions,
    KeySchema: keySchema(readObjectList(resolver, required('KeySchema'), path('KeySchema')), path('KeySchema')),
    ...(billingMode === undefined ? {} : { BillingMode: billingMode }),
    ...(tableThroughput === undefined ? {} : { ProvisionedThroughput: tableThroughput }),
    ...(globalIndexes === undefined ? {} : { GlobalSecondaryIndexes: globalIndexes }),
    ...(localIndexes === undefined ? {} : { LocalSecondaryIndexes: localIndexes }),
    ...(stream === undefined
      ? {}
      : { StreamSpecification: { StreamEnabled: true, StreamViewType: stringField(stream, 'StreamViewType', path('StreamSpecification')) as StreamViewType } }),
  };
}

/** The declared TTL: the attribute and whether it is on, or `undefined` when not declared. */
function timeToLiveOf(logicalId: string, properties: Readonly<Record<string, JsonValue>>, resolver: IntrinsicResolver): { attribute: string; enabled: boolean } | undefined {
  if (properties.TimeToLiveSpecification === undefined) return undefined;
  const path = propertyPath(logicalId, 'TimeToLiveSpecification');
  const spec = readObject(resolver, properties.TimeToLiveSpecification, path);
  return { attribute: stringField(spec, 'AttributeName', path), enabled: resolver.resolveBoolean(spec.Enabled ?? false, `${path}.Enabled`) };
}

/** Creates the table (an existing one is kept as it is) and applies its `TimeToLiveSpecification`. */
export const dynamoDbTableCreator: ResourceCreator = {
  type: 'AWS::DynamoDB::Table',
  service: 'dynamodb',
  async create({ logicalId, properties, resolver, clients, stackName }): Promise<DeclaredResource> {
    const input = createTableInputOf(logicalId, properties, resolver, stackName);
    const timeToLive = timeToLiveOf(logicalId, properties, resolver);
    const name = input.TableName!;
    const dynamodb = clients.dynamodb();
    let status: DeclaredResource['status'] = 'created';
    try {
      await dynamodb.send(new CreateTableCommand(input));
    } catch (error) {
      if (awsErrorName(error) !== 'ResourceInUseException') throw error;
      status = 'existed';
    }
    const { Table: table } = await dynamodb.send(new DescribeTableCommand({ TableName: name }));
    if (table?.TableArn === undefined) throw new ResourceCreationError(logicalId, `DescribeTable ${name} answered without a TableArn`);
    if (timeToLive !== undefined) {
      const { TimeToLiveDescription: current } = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: name }));
      const enabledNow = current?.TimeToLiveStatus === 'ENABLED' || current?.TimeToLiveStatus === 'ENABLING';
      if (enabledNow !== timeToLive.enabled) {
        await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: timeToLive.attribute, Enabled: timeToLive.enabled } }));
      }
    }
    return {
      logicalId,
      type: this.type,
      name,
      arn: table.TableArn,
      ref: name,
      attributes: { Arn: table.TableArn, ...(table.LatestStreamArn === undefined ? {} : { StreamArn: table.LatestStreamArn }) },
      status,
      ignoredProperties: ignoredProperties(properties, APPLIED),
    };
  },
};

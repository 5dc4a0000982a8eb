import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceInUseException as TableInUse,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  KinesisClient,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, HeadBucketCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsClients } from '../../../../lib/aws/clients';
import {
  createDeclaredResources,
  InvalidPropertyError,
  ON_DEMAND_SHARD_COUNT,
  planServiceResources,
  ResourceDependencyCycleError,
  UnresolvableIntrinsicError,
  type CloudFormationResource,
  type JsonValue,
  type ServiceDefinition,
} from '../../../../lib/local/service';
import { FIXTURE_MAX_RECEIVE_COUNT, fixtureService } from '../../../support/emulators';

const kinesisMock = mockClient(KinesisClient);
const sqsMock = mockClient(SQSClient);
const dynamodbMock = mockClient(DynamoDBClient);
const s3Mock = mockClient(S3Client);

const clients = createAwsClients({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

/** ARNs the mocked SQS gives, in an account the resolver would never make up: proves they are read back. */
const mockQueueArn = (name: string): string => `arn:aws:sqs:eu-west-1:123456789012:${name}`;
const mockQueueUrl = (name: string): string => `http://sqs.local/123456789012/${name}`;
const metadata = { $metadata: {} };

/** Every service answers like an empty account: nothing exists, everything gets created. */
function emptyAccount(): void {
  kinesisMock.on(CreateStreamCommand).resolves({});
  kinesisMock.on(DescribeStreamSummaryCommand).callsFake((input: { StreamName: string }) => ({
    StreamDescriptionSummary: {
      StreamName: input.StreamName,
      StreamARN: `arn:aws:kinesis:eu-west-1:123456789012:stream/${input.StreamName}`,
      StreamStatus: 'ACTIVE',
      RetentionPeriodHours: 24,
    },
  }));
  kinesisMock.on(IncreaseStreamRetentionPeriodCommand).resolves({});
  sqsMock.on(GetQueueUrlCommand).rejects(new QueueDoesNotExist({ message: 'no such queue', ...metadata }));
  sqsMock.on(CreateQueueCommand).callsFake((input: { QueueName: string }) => ({ QueueUrl: mockQueueUrl(input.QueueName) }));
  sqsMock.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => ({ Attributes: { QueueArn: mockQueueArn(input.QueueUrl.split('/').pop()!) } }));
  dynamodbMock.on(CreateTableCommand).resolves({});
  dynamodbMock.on(DescribeTableCommand).callsFake((input: { TableName: string }) => ({
    Table: { TableName: input.TableName, TableArn: `arn:aws:dynamodb:ddblocal:000000000000:table/${input.TableName}`, LatestStreamArn: 'stream-arn' },
  }));
  dynamodbMock.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
  dynamodbMock.on(UpdateTimeToLiveCommand).resolves({});
  s3Mock.on(HeadBucketCommand).rejects(new NotFound({ message: 'not found', ...metadata }));
  s3Mock.on(CreateBucketCommand).resolves({});
}

beforeEach(() => {
  kinesisMock.reset();
  sqsMock.reset();
  dynamodbMock.reset();
  s3Mock.reset();
});

function withResources(resources: Record<string, CloudFormationResource>, conditions?: Record<string, JsonValue>): ServiceDefinition {
  return { service: 'unit', provider: { stage: 'test' }, resources: { Resources: resources, ...(conditions === undefined ? {} : { Conditions: conditions }) } };
}

describe('planServiceResources', () => {
  test('orders each queue after its dead-letter queue, keeps declaration order otherwise, and skips other types', () => {
    const plan = planServiceResources(fixtureService());
    expect(plan.steps.map((step) => step.logicalId)).toEqual([
      'EventsStream',
      'WorkDeadLetterQueue',
      'WorkQueue',
      'OrdersDeadLetterQueue',
      'OrdersQueue',
      'ItemsTable',
      'ArchiveBucket',
    ]);
    expect(plan.steps.find((step) => step.logicalId === 'WorkQueue')?.dependsOn).toEqual(['WorkDeadLetterQueue']);
    expect(plan.skipped).toEqual([{ logicalId: 'DataKey', type: 'AWS::KMS::Key', reason: 'AWS::KMS::Key is not created in the local emulators' }]);
  });

  test('a resource whose Condition is false is skipped', () => {
    const plan = planServiceResources(
      withResources(
        { Big: { Type: 'AWS::S3::Bucket', Condition: 'IsProd' }, Small: { Type: 'AWS::S3::Bucket' } },
        { IsProd: { 'Fn::Equals': [{ Ref: 'AWS::StackName' }, 'unit-prod'] } },
      ),
    );
    expect(plan.steps.map((step) => step.logicalId)).toEqual(['Small']);
    expect(plan.skipped).toEqual([{ logicalId: 'Big', type: 'AWS::S3::Bucket', reason: 'its condition IsProd is false' }]);
  });

  test('resources that refer to each other: a typed error naming them', () => {
    const service = withResources({
      A: { Type: 'AWS::SQS::Queue', Properties: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['B', 'Arn'] }, maxReceiveCount: 1 } } },
      B: { Type: 'AWS::SQS::Queue', DependsOn: 'A' },
      C: { Type: 'AWS::S3::Bucket' },
    });
    expect(() => planServiceResources(service)).toThrow(ResourceDependencyCycleError);
    expect(() => planServiceResources(service)).toThrow('A, B');
  });
});

describe('createDeclaredResources (mocked SDK clients)', () => {
  test('creates the fixture: the exact create calls, each DLQ before its queue, with its real ARN in the RedrivePolicy', async () => {
    emptyAccount();
    const result = await createDeclaredResources(fixtureService(), clients);

    expect(kinesisMock.commandCalls(CreateStreamCommand).map((call) => call.args[0].input)).toEqual([{ StreamName: 'fixture-it-events', ShardCount: 3 }]);
    expect(kinesisMock.commandCalls(IncreaseStreamRetentionPeriodCommand).map((call) => call.args[0].input)).toEqual([
      { StreamName: 'fixture-it-events', RetentionPeriodHours: 48 },
    ]);

    expect(sqsMock.commandCalls(CreateQueueCommand).map((call) => call.args[0].input)).toEqual([
      { QueueName: 'fixture-it-work-dlq', Attributes: { MessageRetentionPeriod: '1209600' } },
      {
        QueueName: 'fixture-it-work',
        Attributes: {
          VisibilityTimeout: '30',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: mockQueueArn('fixture-it-work-dlq'), maxReceiveCount: FIXTURE_MAX_RECEIVE_COUNT }),
        },
      },
      { QueueName: 'fixture-it-orders-dlq.fifo', Attributes: { FifoQueue: 'true' } },
      {
        QueueName: 'fixture-it-orders.fifo',
        Attributes: {
          FifoQueue: 'true',
          ContentBasedDeduplication: 'true',
          VisibilityTimeout: '30',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: mockQueueArn('fixture-it-orders-dlq.fifo'), maxReceiveCount: FIXTURE_MAX_RECEIVE_COUNT }),
        },
      },
    ]);
    // Each DLQ's ARN was read back (GetQueueAttributes) before the queue naming it was created.
    const sqsCalls = sqsMock.calls().map((call) => {
      const input = call.args[0].input as { QueueName?: string; QueueUrl?: string };
      return `${call.args[0].constructor.name} ${input.QueueName ?? input.QueueUrl}`;
    });
    expect(sqsCalls.indexOf(`GetQueueAttributesCommand ${mockQueueUrl('fixture-it-work-dlq')}`)).toBeLessThan(sqsCalls.indexOf('CreateQueueCommand fixture-it-work'));
    expect(sqsCalls.indexOf(`GetQueueAttributesCommand ${mockQueueUrl('fixture-it-orders-dlq.fifo')}`)).toBeLessThan(
      sqsCalls.indexOf('CreateQueueCommand fixture-it-orders.fifo'),
    );

    expect(dynamodbMock.commandCalls(CreateTableCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'fixture-it-items',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'status', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byStatus',
            KeySchema: [
              { AttributeName: 'status', KeyType: 'HASH' },
              { AttributeName: 'sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      },
    ]);
    expect(dynamodbMock.commandCalls(UpdateTimeToLiveCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: 'fixture-it-items', TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } },
    ]);

    expect(s3Mock.commandCalls(CreateBucketCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'fixture-it-archive-eu-west-1', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } },
    ]);

    expect(Object.keys(result.resources)).toEqual(['EventsStream', 'WorkDeadLetterQueue', 'WorkQueue', 'OrdersDeadLetterQueue', 'OrdersQueue', 'ItemsTable', 'ArchiveBucket']);
    expect(result.resources.WorkQueue).toEqual({
      logicalId: 'WorkQueue',
      type: 'AWS::SQS::Queue',
      name: 'fixture-it-work',
      arn: mockQueueArn('fixture-it-work'),
      ref: mockQueueUrl('fixture-it-work'),
      attributes: { Arn: mockQueueArn('fixture-it-work'), QueueName: 'fixture-it-work', QueueUrl: mockQueueUrl('fixture-it-work') },
      status: 'created',
      // Its KMS key is not created locally: the property is reported, not applied.
      ignoredProperties: ['KmsMasterKeyId'],
    });
    expect(result.resources.ItemsTable?.attributes).toEqual({ Arn: 'arn:aws:dynamodb:ddblocal:000000000000:table/fixture-it-items', StreamArn: 'stream-arn' });
    expect(result.resources.ItemsTable?.ignoredProperties).toEqual(['SSESpecification']);
    expect(result.resources.ArchiveBucket).toMatchObject({ name: 'fixture-it-archive-eu-west-1', arn: 'arn:aws:s3:::fixture-it-archive-eu-west-1', ref: 'fixture-it-archive-eu-west-1' });
    expect(result.skipped.map((s) => s.logicalId)).toEqual(['DataKey']);
  });

  test('resources that exist are kept: no create error, status "existed", queue attributes set again (not FifoQueue)', async () => {
    emptyAccount();
    kinesisMock.on(CreateStreamCommand).rejects(Object.assign(new Error('in use'), { name: 'ResourceInUseException' }));
    sqsMock.on(GetQueueUrlCommand).callsFake((input: { QueueName: string }) => ({ QueueUrl: mockQueueUrl(input.QueueName) }));
    dynamodbMock.on(CreateTableCommand).rejects(new TableInUse({ message: 'exists', ...metadata }));
    dynamodbMock.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' } });
    s3Mock.on(HeadBucketCommand).resolves({});

    const result = await createDeclaredResources(fixtureService(), clients);

    expect(Object.values(result.resources).map((r) => r.status)).toEqual(Array(7).fill('existed'));
    expect(sqsMock.commandCalls(CreateQueueCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(SetQueueAttributesCommand).find((call) => call.args[0].input.QueueUrl === mockQueueUrl('fixture-it-orders.fifo'))?.args[0].input.Attributes).toEqual({
      ContentBasedDeduplication: 'true',
      VisibilityTimeout: '30',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: mockQueueArn('fixture-it-orders-dlq.fifo'), maxReceiveCount: FIXTURE_MAX_RECEIVE_COUNT }),
    });
    expect(dynamodbMock.commandCalls(UpdateTimeToLiveCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(CreateBucketCommand)).toHaveLength(0);
  });

  test('names CloudFormation would generate: <stack>-<LogicalId>, ".fifo" for a FIFO queue, lower case for a bucket; on demand → 4 shards', async () => {
    emptyAccount();
    const result = await createDeclaredResources(
      withResources({
        Clicks: { Type: 'AWS::Kinesis::Stream', Properties: { StreamModeDetails: { StreamMode: 'ON_DEMAND' } } },
        Jobs: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: 'true' } },
        Raw: { Type: 'AWS::S3::Bucket' },
      }),
      clients,
    );
    expect(kinesisMock.commandCalls(CreateStreamCommand)[0]?.args[0].input).toEqual({ StreamName: 'unit-test-Clicks', ShardCount: ON_DEMAND_SHARD_COUNT });
    expect(kinesisMock.commandCalls(IncreaseStreamRetentionPeriodCommand)).toHaveLength(0);
    expect(result.resources.Jobs?.name).toBe('unit-test-Jobs.fifo');
    expect(result.resources.Raw?.name).toBe('unit-test-raw');
  });

  test('a value it cannot resolve stops creation with a typed error naming the property; nothing after it is created', async () => {
    emptyAccount();
    const service = withResources({
      Key: { Type: 'AWS::KMS::Key' },
      Bad: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'bad', RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Key', 'Arn'] }, maxReceiveCount: 1 } } },
      Later: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'later' } },
    });
    const failure = createDeclaredResources(service, clients);
    await expect(failure).rejects.toThrow(UnresolvableIntrinsicError);
    await expect(failure).rejects.toThrow('Resources.Bad.Properties.RedrivePolicy.deadLetterTargetArn.Fn::GetAtt: Key is a AWS::KMS::Key, which is not created locally');
    expect(sqsMock.commandCalls(CreateQueueCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(CreateBucketCommand)).toHaveLength(0);
  });

  test('a table without KeySchema: a typed error', async () => {
    emptyAccount();
    const service = withResources({ T: { Type: 'AWS::DynamoDB::Table', Properties: { AttributeDefinitions: [] } } });
    await expect(createDeclaredResources(service, clients)).rejects.toThrow('Resources.T.Properties.KeySchema is required');
    const badKeys = withResources({ T: { Type: 'AWS::DynamoDB::Table', Properties: { AttributeDefinitions: [], KeySchema: [{ AttributeName: 1, KeyType: 'HASH' }] } } });
    await expect(createDeclaredResources(badKeys, clients)).rejects.toThrow(InvalidPropertyError);
  });
});

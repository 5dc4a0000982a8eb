/**
 * Test support for the embedded emulators: Jest hooks that start them before a file's tests and
 * stop them after, and a fixture service definition declaring one resource of each kind.
 */
import { startEmulators, type EmulatedService, type Emulators, type StartEmulatorsOptions } from '../../lib/local/emulators';
import type { ServiceDefinition } from '../../lib/local/service';

/** Long enough for DynamoDB Local's JVM on a busy 2-core machine with other test files running. */
export const EMULATOR_START_TIMEOUT_MS = 120_000;

/**
 * Starts the emulators in `beforeAll` and stops them in `afterAll`; call the returned function
 * inside a test (or a later hook) to get them.
 */
export function useEmulators<S extends EmulatedService = EmulatedService>(options: StartEmulatorsOptions<S> = {}): () => Emulators<S> {
  let emulators: Emulators<S> | undefined;
  beforeAll(async () => {
    emulators = await startEmulators(options);
  }, EMULATOR_START_TIMEOUT_MS);
  afterAll(async () => {
    await emulators?.stop();
  }, 30_000);
  return () => {
    if (emulators === undefined) throw new Error('the emulators did not start (see the beforeAll error)');
    return emulators;
  };
}

/** `maxReceiveCount` of the fixture's redrive policies. */
export const FIXTURE_MAX_RECEIVE_COUNT = 2;

/**
 * A service definition as `serverless print` would give it, for stage `fixture`: a provisioned
 * Kinesis stream, a standard queue with its DLQ, a FIFO queue with its FIFO DLQ (declared after
 * the queues that use them), a table with a GSI, a bucket, and a KMS key (not created locally).
 */
export function fixtureService(): ServiceDefinition {
  return {
    service: 'fixture',
    provider: { name: 'aws', stage: 'it', region: 'eu-west-1' },
    resources: {
      Resources: {
        EventsStream: {
          Type: 'AWS::Kinesis::Stream',
          Properties: { Name: { 'Fn::Sub': '${AWS::StackName}-events' }, ShardCount: 3, RetentionPeriodHours: 48 },
        },
        WorkQueue: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            QueueName: { 'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, 'work']] },
            VisibilityTimeout: 30,
            KmsMasterKeyId: { Ref: 'DataKey' },
            RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['WorkDeadLetterQueue', 'Arn'] }, maxReceiveCount: FIXTURE_MAX_RECEIVE_COUNT },
          },
        },
        OrdersQueue: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            QueueName: 'fixture-it-orders.fifo',
            FifoQueue: true,
            ContentBasedDeduplication: true,
            VisibilityTimeout: 30,
            RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': 'OrdersDeadLetterQueue.Arn' }, maxReceiveCount: FIXTURE_MAX_RECEIVE_COUNT },
          },
        },
        WorkDeadLetterQueue: {
          Type: 'AWS::SQS::Queue',
          Properties: { QueueName: { 'Fn::Sub': '${AWS::StackName}-work-dlq' }, MessageRetentionPeriod: 1209600 },
        },
        OrdersDeadLetterQueue: {
          Type: 'AWS::SQS::Queue',
          Properties: { QueueName: 'fixture-it-orders-dlq.fifo', FifoQueue: true },
        },
        ItemsTable: {
          Type: 'AWS::DynamoDB::Table',
          Properties: {
            TableName: { 'Fn::Sub': ['${AWS::StackName}-${Suffix}', { Suffix: 'items' }] },
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
            StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
            TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
            SSESpecification: { SSEEnabled: true },
          },
        },
        ArchiveBucket: {
          Type: 'AWS::S3::Bucket',
          Properties: {
            BucketName: { 'Fn::Sub': '${AWS::StackName}-archive-${AWS::Region}' },
            VersioningConfiguration: { Status: 'Enabled' },
          },
        },
        DataKey: {
          Type: 'AWS::KMS::Key',
          Properties: { Description: 'not created locally' },
        },
      },
    },
  };
}

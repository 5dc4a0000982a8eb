/**
 * `serverless package`, offline, and assertions on the CloudFormation it generates: the
 * Firehose transform is wired as intended, data at rest is encrypted and private, and no IAM
 * statement grants `*`. The real-time half (IoT rule → Kinesis → two consumers → DynamoDB and
 * OpenSearch) is checked the same way: encryption, event source mappings, failure destinations,
 * alarms and least-privilege roles.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadServiceDefinition, type ServiceDefinition } from '../../lib/local/service';
import { getSchema } from '../../lib/schemas/registry';
import { runServerless } from '../support/serverless-cli';

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

interface Template {
  readonly Resources: Record<string, Resource>;
  readonly Conditions?: Record<string, unknown>;
}

interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly Action?: string | string[];
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

interface PolicyDocument {
  readonly Statement: Statement | Statement[];
}

interface ProcessorParameter {
  readonly ParameterName: string;
  readonly ParameterValue: unknown;
}

interface ExtendedS3Destination {
  readonly BucketARN: unknown;
  readonly RoleARN: unknown;
  readonly Prefix: string;
  readonly ErrorOutputPrefix: string;
  readonly CompressionFormat: string;
  readonly DynamicPartitioningConfiguration?: { readonly Enabled: boolean };
  readonly ProcessingConfiguration?: {
    readonly Enabled: boolean;
    readonly Processors: readonly { readonly Type: string; readonly Parameters: readonly ProcessorParameter[] }[];
  };
}

const HANDLER = 'functions/firehose-csv-to-json.handler';
const BUNDLED_HANDLER_FILE = 'functions/firehose-csv-to-json.js';

let packageDir: string | undefined;
let template: Template;

beforeAll(async () => {
  packageDir = await mkdtemp(join(tmpdir(), 'shardline-package-'));
  await runServerless(['package', '--package', packageDir]);
  template = JSON.parse(await readFile(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}, 180_000);

afterAll(async () => {
  if (packageDir) await rm(packageDir, { recursive: true, force: true });
});

// --- Template helpers ---------------------------------------------------------------------

function resourcesOfType(type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

function onlyResourceOfType(type: string): [string, Resource] {
  const found = resourcesOfType(type);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function resource(logicalId: string): Resource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`No resource ${logicalId} in the template`);
  return found;
}

/** The logical id an intrinsic `{Fn::GetAtt: [id, attr]}` or `{Ref: id}` points at. */
function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') return ref;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

function getAttArn(value: unknown): string | undefined {
  const getAtt = (value as { 'Fn::GetAtt'?: unknown } | null)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
}

function asList<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

/** Every statement that applies to a role: its inline policies and AWS::IAM::Policy resources attached to it. */
function statementsOfRole(roleId: string): Statement[] {
  const role = resource(roleId);
  expect(role.Type).toBe('AWS::IAM::Role');
  const inline = (role.Properties?.Policies as { PolicyDocument: PolicyDocument }[] | undefined) ?? [];
  const attached = [...resourcesOfType('AWS::IAM::Policy'), ...resourcesOfType('AWS::IAM::ManagedPolicy')]
    .filter(([, policy]) => asList(policy.Properties?.Roles).some((r) => referencedId(r) === roleId))
    .map(([, policy]) => ({ PolicyDocument: policy.Properties?.PolicyDocument as PolicyDocument }));
  return [...inline, ...attached].flatMap((p) => asList(p.PolicyDocument.Statement));
}

/** Every string inside a Resource value: a plain ARN, a list, or intrinsics (Fn::Sub, Fn::Join, …). */
function stringLeaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringLeaves);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(stringLeaves);
  return [];
}

/** `*` itself, or a whole service (`s3:*`). */
const WILDCARD_ACTION = /^(\*|[a-z0-9-]+:\*)$/i;

function expectNoWildcardActions(statements: readonly Statement[]): void {
  for (const statement of statements) {
    expect(statement.NotAction).toBeUndefined();
    const actions = asList(statement.Action);
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) expect(action).not.toMatch(WILDCARD_ACTION);
  }
}

function expectNoWildcardResources(statements: readonly Statement[]): void {
  for (const statement of statements) {
    expect(statement.NotResource).toBeUndefined();
    expect(statement.Resource).toBeDefined();
    const leaves = stringLeaves(statement.Resource);
    expect(leaves.length).toBeGreaterThan(0);
    // An intrinsic that evaluates to '*' would hold it as one of its strings too.
    for (const leaf of leaves) expect(leaf.trim()).not.toBe('*');
  }
}

/** The central directory of a zip file: its entry names (no zip64: artifacts here are small). */
function zipEntryNames(zip: Buffer): string[] {
  const EOCD = 0x06054b50;
  const CENTRAL_ENTRY = 0x02014b50;
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('Not a zip file: no end of central directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(offset) !== CENTRAL_ENTRY) throw new Error(`Bad central directory entry at ${offset}`);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    names.push(zip.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

// --- The resources under test ---------------------------------------------------------------

function transformFunction(): [string, Resource] {
  const found = resourcesOfType('AWS::Lambda::Function').filter(([, fn]) => fn.Properties?.Handler === HANDLER);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function deliveryStream(): ExtendedS3Destination {
  const [, stream] = onlyResourceOfType('AWS::KinesisFirehose::DeliveryStream');
  const destination = stream.Properties?.ExtendedS3DestinationConfiguration as ExtendedS3Destination | undefined;
  if (!destination) throw new Error('The delivery stream has no ExtendedS3DestinationConfiguration');
  return destination;
}

function dataBucketId(): string {
  const id = referencedId(deliveryStream().BucketARN);
  if (!id) throw new Error('The delivery stream does not point at a bucket of this template');
  expect(resource(id).Type).toBe('AWS::S3::Bucket');
  return id;
}

// --- Tests ------------------------------------------------------------------------------------

describe('serverless package', () => {
  describe('the Firehose delivery stream', () => {
    it('transforms with the function, one Lambda processor with a small buffer', () => {
      const [functionId] = transformFunction();
      const processing = deliveryStream().ProcessingConfiguration;
      expect(processing?.Enabled).toBe(true);
      expect(processing?.Processors).toHaveLength(1);
      const processor = processing!.Processors[0]!;
      expect(processor.Type).toBe('Lambda');
      const parameter = (name: string) => processor.Parameters.find((p) => p.ParameterName === name)?.ParameterValue;

      expect(getAttArn(parameter('LambdaArn'))).toBe(functionId);
      // Lambda answers at most 6 MB, and the answer (JSON, base64) is about 2.4x the CSV it
      // receives: a buffer above ~2.5 MB could answer more than 6 MB (at the 3 MB default,
      // about 8 MB). 2 MB or less keeps the answer under the limit with room to spare.
      const bufferMb = Number(parameter('BufferSizeInMBs'));
      expect(bufferMb).toBeGreaterThan(0);
      expect(bufferMb).toBeLessThanOrEqual(2);
    });

    it('partitions by the keys the function returns, and compresses', () => {
      const destination = deliveryStream();
      expect(destination.DynamicPartitioningConfiguration?.Enabled).toBe(true);
      expect(destination.Prefix).toContain('!{partitionKeyFromLambda:event_type}');
      expect(destination.Prefix).toContain('!{partitionKeyFromLambda:dt}');
      expect(destination.ErrorOutputPrefix).toContain('!{firehose:error-output-type}');
      expect(destination.CompressionFormat).toBe('GZIP');
    });
  });

  describe('the data bucket', () => {
    it('is encrypted with this template’s KMS key', () => {
      const bucket = resource(dataBucketId());
      const encryption = bucket.Properties?.BucketEncryption as {
        ServerSideEncryptionConfiguration: { ServerSideEncryptionByDefault: { SSEAlgorithm: string; KMSMasterKeyID?: unknown } }[];
      };
      const rules = encryption.ServerSideEncryptionConfiguration;
      expect(rules).toHaveLength(1);
      const byDefault = rules[0]!.ServerSideEncryptionByDefault;
      expect(byDefault.SSEAlgorithm).toBe('aws:kms');
      const keyId = referencedId(byDefault.KMSMasterKeyID);
      expect(keyId).toBeDefined();
      expect(resource(keyId!).Type).toBe('AWS::KMS::Key');
    });

    it('blocks all public access', () => {
      expect(resource(dataBucketId()).Properties?.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    });

    it('denies requests without TLS, on the bucket and its objects', () => {
      const bucketId = dataBucketId();
      const policies = resourcesOfType('AWS::S3::BucketPolicy').filter(([, p]) => referencedId(p.Properties?.Bucket) === bucketId);
      expect(policies).toHaveLength(1);
      const statements = asList((policies[0]![1].Properties?.PolicyDocument as PolicyDocument).Statement);
      const denyInsecure = statements.filter(
        (s) =>
          s.Effect === 'Deny' &&
          String(s.Condition?.Bool?.['aws:SecureTransport']) === 'false' &&
          asList(s.Action).includes('s3:*') &&
          stringLeaves(s.Principal).includes('*'),
      );
      expect(denyInsecure).toHaveLength(1);
      const resources = asList(denyInsecure[0]!.Resource);
      expect(resources.some((r) => getAttArn(r) === bucketId)).toBe(true);
      expect(resources.some((r) => stringLeaves(r).some((leaf) => leaf.endsWith('/*')))).toBe(true);
    });
  });

  describe('IAM', () => {
    it('gives the transform function its own role, with no wildcard action or resource', () => {
      const [, fn] = transformFunction();
      const roleId = getAttArn(fn.Properties?.Role);
      expect(roleId).toBeDefined();
      // Its own role (serverless-iam-roles-per-function), not the service-wide default one.
      expect(roleId).not.toBe('IamRoleLambdaExecution');
      const statements = statementsOfRole(roleId!);
      expect(statements.length).toBeGreaterThan(0);
      expectNoWildcardActions(statements);
      expectNoWildcardResources(statements);
      expect(statements.flatMap((s) => asList(s.Action))).toContain('firehose:PutRecordBatch');
    });

    it('gives every function a role of its own, with no wildcard action or resource', () => {
      const functions = resourcesOfType('AWS::Lambda::Function');
      expect(functions.length).toBeGreaterThanOrEqual(2);
      const roles = functions.map(([, fn]) => getAttArn(fn.Properties?.Role));
      expect(new Set(roles).size).toBe(functions.length);
      for (const roleId of roles) {
        expect(roleId).toBeDefined();
        expect(roleId).not.toBe('IamRoleLambdaExecution');
        const statements = statementsOfRole(roleId!);
        expectNoWildcardActions(statements);
        expectNoWildcardResources(statements);
      }
    });

    it('gives the delivery stream a role with no wildcard action or resource', () => {
      const roleId = getAttArn(deliveryStream().RoleARN);
      expect(roleId).toBeDefined();
      const statements = statementsOfRole(roleId!);
      expect(statements.length).toBeGreaterThan(0);
      expectNoWildcardActions(statements);
      expectNoWildcardResources(statements);
    });
  });

  describe('the curated zone', () => {
    function jsonToParquet(): [string, Resource] {
      const found = resourcesOfType('AWS::Lambda::Function').filter(([, fn]) => fn.Properties?.Handler === 'functions/json-to-parquet.handler');
      expect(found).toHaveLength(1);
      return found[0]!;
    }

    it('triggers json-to-parquet on the raw zone’s GZIP objects, S3 allowed to invoke it from this bucket only', () => {
      const [fnId] = jsonToParquet();
      const notification = resource(dataBucketId()).Properties?.NotificationConfiguration as
        { LambdaConfigurations: { Event: string; Function: unknown; Filter: { S3Key: { Rules: { Name: string; Value: string }[] } } }[] };
      expect(notification.LambdaConfigurations).toHaveLength(1);
      const [config] = notification.LambdaConfigurations;
      expect(config!.Event).toBe('s3:ObjectCreated:*');
      expect(referencedId(config!.Function)).toBe(fnId);
      expect(config!.Filter.S3Key.Rules).toEqual(expect.arrayContaining([{ Name: 'prefix', Value: 'raw/' }, { Name: 'suffix', Value: '.gz' }]));
      const permissions = resourcesOfType('AWS::Lambda::Permission').filter(([, p]) => referencedId(p.Properties?.FunctionName) === fnId);
      expect(permissions).toHaveLength(1);
      const permission = permissions[0]![1].Properties!;
      expect(permission.Principal).toBe('s3.amazonaws.com');
      expect(stringLeaves(permission.SourceArn).join('')).toContain(':s3:::shardline-');
      expect(permission.SourceAccount).toEqual({ Ref: 'AWS::AccountId' });
    });

    it('sends what json-to-parquet still fails on to an encrypted, TLS-only queue', () => {
      const [fnId] = jsonToParquet();
      const [, config] = onlyResourceOfType('AWS::Lambda::EventInvokeConfig');
      expect(referencedId(config.Properties?.FunctionName)).toBe(fnId);
      const queueId = referencedId((config.Properties?.DestinationConfig as { OnFailure: { Destination: unknown } }).OnFailure.Destination);
      const queue = resource(queueId!);
      expect(queue.Type).toBe('AWS::SQS::Queue');
      expect(queue.Properties?.KmsMasterKeyId).toBeDefined();
      const policies = resourcesOfType('AWS::SQS::QueuePolicy').filter(([, p]) => asList(p.Properties?.Queues).some((q) => referencedId(q) === queueId));
      expect(policies).toHaveLength(1);
      const statements = asList((policies[0]![1].Properties?.PolicyDocument as PolicyDocument).Statement);
      expect(statements).toEqual(expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]));
    });

    it('declares the Glue table with the columns of schemas/clickstream.json and its partition keys', () => {
      const [, table] = onlyResourceOfType('AWS::Glue::Table');
      const input = table.Properties?.TableInput as { StorageDescriptor: { Columns: { Name: string; Type: string }[]; Location: string; SerdeInfo: { SerializationLibrary: string } }; PartitionKeys: { Name: string; Type: string }[] };
      const schema = getSchema('clickstream');
      const partitionNames = schema.partitionKeys.map((k) => k.name);
      const glueType = { string: 'string', integer: 'bigint', number: 'double', boolean: 'boolean', timestamp: 'timestamp' } as const;
      expect(input.StorageDescriptor.Columns.map((c) => [c.Name, c.Type])).toEqual(
        schema.columns.filter((c) => !partitionNames.includes(c.name)).map((c) => [c.name, glueType[c.kind]]),
      );
      expect(input.PartitionKeys.map((k) => k.Name)).toEqual(partitionNames);
      expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toContain('ParquetHiveSerDe');
      expect(input.StorageDescriptor.Location).toMatch(/^s3:\/\/shardline-[^/]+\/curated\/$/);
    });
  });

  it('writes the function’s zip, with the bundled handler in it', async () => {
    const [, fn] = transformFunction();
    const s3Key = (fn.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key;
    expect(typeof s3Key).toBe('string');
    const artifact = join(packageDir!, basename(s3Key as string));
    expect((await stat(artifact)).size).toBeGreaterThan(0);
    expect(zipEntryNames(await readFile(artifact))).toContain(BUNDLED_HANDLER_FILE);
  });
});

// --- The real-time half: IoT rule → Kinesis → consumers → DynamoDB, OpenSearch ----------------

interface Consumer {
  readonly key: string;
  readonly handler: string;
  readonly bundledFile: string;
  /** Its Powertools service name: the `service` dimension of its metrics. */
  readonly service: string;
}

const DYNAMODB_CONSUMER: Consumer = {
  key: 'kinesisToDynamodb', handler: 'functions/kinesis-to-dynamodb.handler', bundledFile: 'functions/kinesis-to-dynamodb.js', service: 'kinesis-to-dynamodb',
};
const OPENSEARCH_CONSUMER: Consumer = {
  key: 'kinesisToOpensearch', handler: 'functions/kinesis-to-opensearch.handler', bundledFile: 'functions/kinesis-to-opensearch.js', service: 'kinesis-to-opensearch',
};
const CONSUMERS = [DYNAMODB_CONSUMER, OPENSEARCH_CONSUMER] as const;

/** What Lambda's documentation lists for a Kinesis event source mapping (SubscribeToShard only with enhanced fan-out). */
const KINESIS_READ_ACTIONS = ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'];

interface EventSourceMapping {
  readonly EventSourceArn: unknown;
  readonly FunctionName: unknown;
  readonly StartingPosition: string;
  readonly BatchSize: number;
  readonly MaximumBatchingWindowInSeconds?: number;
  readonly ParallelizationFactor?: number;
  readonly BisectBatchOnFunctionError?: boolean;
  readonly MaximumRetryAttempts?: number;
  readonly MaximumRecordAgeInSeconds?: number;
  readonly FunctionResponseTypes?: string[];
  readonly DestinationConfig?: { readonly OnFailure?: { readonly Destination: unknown } };
}

interface Alarm {
  readonly AlarmName: string;
  readonly Namespace: string;
  readonly MetricName: string;
  readonly Dimensions: readonly { readonly Name: string; readonly Value: unknown }[];
  readonly Statistic: string;
  readonly Period: number;
  readonly EvaluationPeriods: number;
  readonly Threshold: number;
  readonly ComparisonOperator: string;
  readonly TreatMissingData?: string;
  readonly AlarmActions: readonly unknown[];
}

function functionWithHandler(handler: string): [string, Resource] {
  const found = resourcesOfType('AWS::Lambda::Function').filter(([, fn]) => fn.Properties?.Handler === handler);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function roleOfFunction(fn: Resource): string {
  const roleId = getAttArn(fn.Properties?.Role);
  if (!roleId) throw new Error('The function has no role of this template');
  return roleId;
}

function environmentOf(fn: Resource): Record<string, unknown> {
  return (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
}

function dataKeyId(): string {
  return onlyResourceOfType('AWS::KMS::Key')[0];
}

function telemetryStream(): [string, Resource] {
  return onlyResourceOfType('AWS::Kinesis::Stream');
}

function mappingOf(functionId: string): EventSourceMapping {
  const found = resourcesOfType('AWS::Lambda::EventSourceMapping').filter(([, m]) => referencedId(m.Properties?.FunctionName) === functionId);
  expect(found).toHaveLength(1);
  return found[0]![1].Properties as unknown as EventSourceMapping;
}

function onFailureQueueOf(functionId: string): string {
  const queueId = getAttArn(mappingOf(functionId).DestinationConfig?.OnFailure?.Destination);
  if (!queueId) throw new Error(`The mapping of ${functionId} has no on-failure destination of this template`);
  return queueId;
}

/** Every `Fn::GetAtt` target (any attribute) inside a value, through Fn::If, lists… */
function getAttTargets(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(getAttTargets);
  if (typeof value !== 'object' || value === null) return [];
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return [getAtt[0]];
  return Object.values(value).flatMap(getAttTargets);
}

/** The value of a template condition that is an `Fn::Equals` of two literals. */
function conditionHolds(name: string): boolean {
  const condition = template.Conditions?.[name] as { 'Fn::Equals'?: unknown } | undefined;
  const operands = condition?.['Fn::Equals'];
  if (!Array.isArray(operands) || operands.length !== 2 || !operands.every((o) => typeof o === 'string' || typeof o === 'number')) {
    throw new Error(`Condition ${name} is not an Fn::Equals of two literals: ${JSON.stringify(condition)}`);
  }
  return String(operands[0]) === String(operands[1]);
}

function statementsWithAction(statements: readonly Statement[], prefix: string): Statement[] {
  return statements.filter((s) => asList(s.Action).some((a) => a.startsWith(prefix)));
}

function actionsOf(statements: readonly Statement[]): string[] {
  return [...new Set(statements.flatMap((s) => asList(s.Action)))].sort();
}

function alarms(): Alarm[] {
  return resourcesOfType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties as unknown as Alarm);
}

function onlyAlarm(predicate: (alarm: Alarm) => boolean): Alarm {
  const found = alarms().filter(predicate);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function dimension(alarm: Alarm, name: string): unknown {
  expect(alarm.Dimensions).toHaveLength(1);
  return alarm.Dimensions.find((d) => d.Name === name)?.Value;
}

function expectAlarmToNotify(alarm: Alarm): void {
  expect(alarm.AlarmActions.length).toBeGreaterThan(0);
  for (const action of alarm.AlarmActions) expect(resource(referencedId(action)!).Type).toBe('AWS::SNS::Topic');
}

function expectTlsOnlyQueue(queueId: string): void {
  const policies = resourcesOfType('AWS::SQS::QueuePolicy').filter(([, p]) => asList(p.Properties?.Queues).some((q) => referencedId(q) === queueId));
  expect(policies).toHaveLength(1);
  const statements = asList((policies[0]![1].Properties?.PolicyDocument as PolicyDocument).Statement);
  expect(statements).toEqual(expect.arrayContaining([
    expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
  ]));
}

describe('serverless package: the real-time half', () => {
  describe('the telemetry stream', () => {
    it('has the literal name the local runtime creates it by, and is encrypted with this template’s KMS key', () => {
      const [, stream] = telemetryStream();
      expect(stream.Properties?.Name).toBe('shardline-dev-telemetry');
      expect(stream.Properties?.StreamEncryption).toEqual({ EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': [dataKeyId(), 'Arn'] } });
    });

    it('is provisioned with 2 shards by default, and takes no shard count on demand', () => {
      const properties = telemetryStream()[1].Properties!;
      expect(properties.StreamModeDetails).toEqual({ StreamMode: 'PROVISIONED' });
      const [condition, onDemand, provisioned] = (properties.ShardCount as { 'Fn::If': [string, unknown, unknown] })['Fn::If'];
      expect(onDemand).toEqual({ Ref: 'AWS::NoValue' });
      expect(provisioned).toBe(2);
      // The condition compares the same mode the stream declares with ON_DEMAND.
      expect(template.Conditions?.[condition]).toEqual({ 'Fn::Equals': ['PROVISIONED', 'ON_DEMAND'] });
      expect(conditionHolds(condition)).toBe(false);
      expect(properties.RetentionPeriodHours).toBe(24);
    });
  });

  describe.each(CONSUMERS)('the $key consumer', (consumer) => {
    it('runs on Node 22, arm64, 256 MB, with a timeout for its batches', () => {
      const [, fn] = functionWithHandler(consumer.handler);
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: 256 });
      expect(fn.Properties?.Timeout).toBeGreaterThanOrEqual(30);
      expect(fn.Properties?.Timeout).toBeLessThanOrEqual(300);
      const env = environmentOf(fn);
      expect(env.SCHEMA_NAME).toBe('telemetry');
      expect(env.FAILURE_PREFIX).toBe(`failed/${consumer.service}/`);
      // The data bucket, by its literal name (what `invoke local` needs).
      const bucket = resourcesOfType('AWS::S3::Bucket').filter(([id]) => id !== 'ServerlessDeploymentBucket');
      expect(bucket.map(([, b]) => b.Properties?.BucketName)).toContain(env.FAILURE_BUCKET);
    });

    it('reads the telemetry stream from the oldest record, in order per device, with bounded retries', () => {
      const [functionId] = functionWithHandler(consumer.handler);
      const mapping = mappingOf(functionId);
      expect(getAttArn(mapping.EventSourceArn)).toBe(telemetryStream()[0]);
      expect(mapping.StartingPosition).toBe('TRIM_HORIZON');
      expect(mapping.BatchSize).toBeGreaterThanOrEqual(100);
      expect(mapping.BatchSize).toBeLessThanOrEqual(10_000);
      expect(mapping.MaximumBatchingWindowInSeconds).toBeGreaterThan(0);
      expect(mapping.MaximumBatchingWindowInSeconds).toBeLessThanOrEqual(300);
      expect(mapping.ParallelizationFactor).toBe(1);
      expect(mapping.BisectBatchOnFunctionError).toBe(true);
      expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      // Bounded (-1 would retry until the record expires) …
      expect(mapping.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(mapping.MaximumRetryAttempts).toBeLessThanOrEqual(10_000);
      // … and Lambda gives up on a record before the stream drops it.
      expect(mapping.MaximumRecordAgeInSeconds).toBeGreaterThanOrEqual(60);
      expect(mapping.MaximumRecordAgeInSeconds).toBeLessThan(Number(telemetryStream()[1].Properties?.RetentionPeriodHours) * 3600);
    });

    it('sends what it gives up on to its own encrypted, TLS-only queue, kept 14 days, which its role may send to', () => {
      const [functionId, fn] = functionWithHandler(consumer.handler);
      const queueId = onFailureQueueOf(functionId);
      const queue = resource(queueId);
      expect(queue.Type).toBe('AWS::SQS::Queue');
      expect(referencedId(queue.Properties?.KmsMasterKeyId)).toBe(dataKeyId());
      expect(queue.Properties?.MessageRetentionPeriod).toBe(1_209_600);
      expectTlsOnlyQueue(queueId);
      const send = statementsWithAction(statementsOfRole(roleOfFunction(fn)), 'sqs:');
      expect(actionsOf(send)).toEqual(['sqs:SendMessage']);
      expect(send.flatMap((s) => asList(s.Resource)).map(getAttArn)).toEqual([queueId]);
    });

    it('may read the stream and nothing else of Kinesis, decrypting its records through Kinesis only', () => {
      const [, fn] = functionWithHandler(consumer.handler);
      const statements = statementsOfRole(roleOfFunction(fn));
      const kinesis = statementsWithAction(statements, 'kinesis:');
      expect(actionsOf(kinesis)).toEqual(expect.arrayContaining(KINESIS_READ_ACTIONS));
      // serverless-iam-roles-per-function also adds kinesis:ListStreams (scoped to the stream, so inert).
      expect(actionsOf(kinesis).filter((a) => !KINESIS_READ_ACTIONS.includes(a))).toEqual(['kinesis:ListStreams']);
      for (const statement of kinesis) expect(asList(statement.Resource).map(getAttArn)).toEqual([telemetryStream()[0]]);
      const decrypt = statements.filter((s) => s.Condition?.StringEquals?.['kms:EncryptionContext:aws:kinesis:arn'] !== undefined);
      expect(decrypt).toHaveLength(1);
      expect(decrypt[0]!.Action).toEqual(['kms:Decrypt']);
      expect(getAttArn(decrypt[0]!.Condition!.StringEquals!['kms:EncryptionContext:aws:kinesis:arn'])).toBe(telemetryStream()[0]);
    });

    it('writes poison records under its own prefix of the data bucket only, and uses the data key under conditions only', () => {
      const [, fn] = functionWithHandler(consumer.handler);
      const env = environmentOf(fn);
      const statements = statementsOfRole(roleOfFunction(fn));
      const s3 = statementsWithAction(statements, 's3:');
      expect(actionsOf(s3)).toEqual(['s3:PutObject']);
      const objects = s3.flatMap((s) => asList(s.Resource)).map((r) => stringLeaves(r).join(''));
      expect(objects).toEqual([`arn:\${AWS::Partition}:s3:::${String(env.FAILURE_BUCKET)}/${String(env.FAILURE_PREFIX)}*`]);
      const kms = statementsWithAction(statements, 'kms:');
      expect(kms.length).toBeGreaterThan(0);
      for (const statement of kms) {
        expect(asList(statement.Resource).map(getAttArn)).toEqual([dataKeyId()]);
        expect(statement.Condition).toBeDefined();
      }
      // Only the services this consumer uses.
      const services = new Set(actionsOf(statements).map((a) => a.split(':')[0]));
      expect([...services].sort()).toEqual(['kinesis', 'kms', 'logs', 's3', 'sqs', consumer === DYNAMODB_CONSUMER ? 'dynamodb' : 'es'].sort());
    });

    it('raises an alarm when it falls more than a minute behind for five minutes', () => {
      const [functionId] = functionWithHandler(consumer.handler);
      const alarm = onlyAlarm((a) => a.MetricName === 'IteratorAge' && referencedId(a.Dimensions[0]?.Value) === functionId);
      expect(alarm.Namespace).toBe('AWS/Lambda');
      expect(dimension(alarm, 'FunctionName')).toEqual({ Ref: functionId });
      expect(alarm.Statistic).toBe('Maximum');
      expect(alarm.Threshold).toBe(60_000); // IteratorAge is in milliseconds
      expect(alarm.ComparisonOperator).toBe('GreaterThanThreshold');
      expect(alarm.Period * alarm.EvaluationPeriods).toBe(300);
      expectAlarmToNotify(alarm);
    });

    it('raises an alarm as soon as its on-failure queue holds a message', () => {
      const [functionId] = functionWithHandler(consumer.handler);
      const queueId = onFailureQueueOf(functionId);
      const alarm = onlyAlarm((a) => a.Namespace === 'AWS/SQS' && getAttTargets(a.Dimensions).includes(queueId));
      expect(alarm.MetricName).toBe('ApproximateNumberOfMessagesVisible');
      expect(dimension(alarm, 'QueueName')).toEqual({ 'Fn::GetAtt': [queueId, 'QueueName'] });
      expect(alarm.Threshold).toBe(1);
      expect(alarm.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
      expectAlarmToNotify(alarm);
    });

    it('raises an alarm on any poison record, from the metric its handler emits', () => {
      const [, fn] = functionWithHandler(consumer.handler);
      const alarm = onlyAlarm((a) => a.MetricName === 'PoisonRecords' && a.Dimensions.some((d) => d.Value === consumer.service));
      expect(alarm.Namespace).toBe('Shardline');
      expect(alarm.Namespace).toBe(environmentOf(fn).POWERTOOLS_METRICS_NAMESPACE);
      expect(alarm.Dimensions).toEqual([{ Name: 'service', Value: consumer.service }]);
      expect(alarm.Statistic).toBe('Sum');
      expect(alarm.Threshold).toBe(1);
      expect(alarm.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
      expect(alarm.TreatMissingData).toBe('notBreaching');
      expectAlarmToNotify(alarm);
    });

    it('writes the function’s zip, with the bundled handler in it', async () => {
      const [, fn] = functionWithHandler(consumer.handler);
      const s3Key = (fn.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key;
      expect(typeof s3Key).toBe('string');
      expect(zipEntryNames(await readFile(join(packageDir!, basename(s3Key as string))))).toContain(consumer.bundledFile);
    });
  });

  describe('the DynamoDB tables', () => {
    const TABLES = [
      { env: 'READINGS_TABLE', keys: [['device_id', 'HASH'], ['timestamp', 'RANGE']], ttl: 'expires_at' },
      { env: 'DEVICE_STATE_TABLE', keys: [['device_id', 'HASH']], ttl: undefined },
      { env: 'MINUTE_AGGREGATES_TABLE', keys: [['device_id', 'HASH'], ['minute', 'RANGE']], ttl: 'expires_at' },
    ] as const;

    function tableNamed(name: unknown): [string, Resource] {
      const found = resourcesOfType('AWS::DynamoDB::Table').filter(([, t]) => t.Properties?.TableName === name);
      expect(found).toHaveLength(1);
      return found[0]!;
    }

    it.each(TABLES)('$env names a table with its keys, on demand, encrypted with the data key, with point-in-time recovery', ({ env, keys, ttl }) => {
      const [, fn] = functionWithHandler(DYNAMODB_CONSUMER.handler);
      const [, table] = tableNamed(environmentOf(fn)[env]);
      const properties = table.Properties!;
      expect(properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(properties.KeySchema).toEqual(keys.map(([AttributeName, KeyType]) => ({ AttributeName, KeyType })));
      expect(properties.AttributeDefinitions).toEqual(keys.map(([AttributeName]) => ({ AttributeName, AttributeType: 'S' })));
      expect(properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [dataKeyId(), 'Arn'] } });
      expect(properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(properties.TimeToLiveSpecification).toEqual(ttl === undefined ? undefined : { AttributeName: ttl, Enabled: true });
      // Dev stages can be removed; the prod stage turns it on (see below).
      expect(properties.DeletionProtectionEnabled).toBe(false);
    });

    it('are the only ones the DynamoDB consumer may write, with item-level actions only', () => {
      const [, fn] = functionWithHandler(DYNAMODB_CONSUMER.handler);
      const tableIds = TABLES.map(({ env }) => tableNamed(environmentOf(fn)[env])[0]).sort();
      const dynamodb = statementsWithAction(statementsOfRole(roleOfFunction(fn)), 'dynamodb:');
      expect(actionsOf(dynamodb)).toEqual(['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
      expect(dynamodb.flatMap((s) => asList(s.Resource)).map(getAttArn).sort()).toEqual(tableIds);
    });
  });

  describe('the OpenSearch domain', () => {
    function domain(): [string, Resource] {
      return onlyResourceOfType('AWS::OpenSearchService::Domain');
    }

    it('has a valid name and a recent OpenSearch engine', () => {
      const properties = domain()[1].Properties!;
      expect(properties.DomainName).toMatch(/^[a-z][a-z0-9-]{2,27}$/);
      expect(properties.EngineVersion).toMatch(/^OpenSearch_[3-9]\.\d+$/);
    });

    it('encrypts at rest with the data key and between nodes, and takes HTTPS with TLS 1.2 or later only', () => {
      const properties = domain()[1].Properties!;
      expect(properties.EncryptionAtRestOptions).toEqual({ Enabled: true, KmsKeyId: { Ref: dataKeyId() } });
      expect(properties.NodeToNodeEncryptionOptions).toEqual({ Enabled: true });
      const endpoint = properties.DomainEndpointOptions as { EnforceHTTPS: boolean; TLSSecurityPolicy: string };
      expect(endpoint.EnforceHTTPS).toBe(true);
      expect(['Policy-Min-TLS-1-2-2019-07', 'Policy-Min-TLS-1-2-PFS-2023-10']).toContain(endpoint.TLSSecurityPolicy);
    });

    it('uses fine-grained access control with IAM identities only, the consumer’s role as master by default', () => {
      const [, fn] = functionWithHandler(OPENSEARCH_CONSUMER.handler);
      const roleId = roleOfFunction(fn);
      const security = domain()[1].Properties!.AdvancedSecurityOptions as { Enabled: boolean; InternalUserDatabaseEnabled: boolean; MasterUserOptions: { MasterUserARN: unknown } };
      expect(security.Enabled).toBe(true);
      expect(security.InternalUserDatabaseEnabled).toBe(false);
      const [condition, consumerRole, adminRole] = (security.MasterUserOptions.MasterUserARN as { 'Fn::If': [string, unknown, unknown] })['Fn::If'];
      expect(getAttArn(consumerRole)).toBe(roleId);
      expect(adminRole).toBe('');
      expect(conditionHolds(condition)).toBe(true);
    });

    it('admits only the consumer’s role (and the admin role when given), on this domain only', () => {
      const [, domainResource] = domain();
      const [, fn] = functionWithHandler(OPENSEARCH_CONSUMER.handler);
      const statements = asList((domainResource.Properties!.AccessPolicies as PolicyDocument).Statement);
      expect(statements).toHaveLength(1);
      const [statement] = statements;
      expect(statement!.Effect).toBe('Allow');
      expect(statement!.Action).toBe('es:ESHttp*');
      expect(stringLeaves(statement!.Principal)).not.toContain('*');
      expect([...new Set(getAttTargets(statement!.Principal))]).toEqual([roleOfFunction(fn)]);
      expect(stringLeaves(statement!.Resource).join('')).toMatch(new RegExp(`:domain/${String(domainResource.Properties!.DomainName)}/\\*$`));
    });

    it('is what the OpenSearch consumer writes to: its endpoint over HTTPS, its HTTP methods minus DELETE', () => {
      const [domainId, domainResource] = domain();
      const [, fn] = functionWithHandler(OPENSEARCH_CONSUMER.handler);
      expect(environmentOf(fn).OPENSEARCH_ENDPOINT).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [domainId, 'DomainEndpoint'] }]] });
      expect(environmentOf(fn).OPENSEARCH_INDEX_PREFIX).toBe('telemetry');
      const es = statementsWithAction(statementsOfRole(roleOfFunction(fn)), 'es:');
      expect(actionsOf(es)).toEqual(['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost', 'es:ESHttpPut']);
      const resources = es.flatMap((s) => asList(s.Resource)).map((r) => stringLeaves(r).join(''));
      expect(resources).toEqual([`arn:\${AWS::Partition}:es:\${AWS::Region}:\${AWS::AccountId}:domain/${String(domainResource.Properties!.DomainName)}/*`]);
    });
  });

  describe('the alarm topic', () => {
    it('is encrypted with the data key, whose policy lets this stage’s CloudWatch alarms use it', () => {
      const [topicId, topic] = onlyResourceOfType('AWS::SNS::Topic');
      expect(referencedId(topic.Properties?.KmsMasterKeyId)).toBe(dataKeyId());
      const keyStatements = asList((resource(dataKeyId()).Properties?.KeyPolicy as PolicyDocument).Statement);
      const cloudwatch = keyStatements.filter((s) => (s.Principal as { Service?: unknown } | undefined)?.Service === 'cloudwatch.amazonaws.com');
      expect(cloudwatch).toHaveLength(1);
      expect(asList(cloudwatch[0]!.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
      const sourceArn = stringLeaves(cloudwatch[0]!.Condition?.ArnLike?.['aws:SourceArn']).join('');
      expect(sourceArn).toMatch(/:alarm:shardline-dev-\*$/);
      // … which every alarm's name matches, and every alarm notifies this topic.
      for (const alarm of alarms()) {
        expect(alarm.AlarmName.startsWith('shardline-dev-')).toBe(true);
        expect(alarm.AlarmActions.map(referencedId)).toEqual([topicId]);
      }
    });
  });

  describe('the IoT topic rule', () => {
    function rule(): { Sql: string; AwsIotSqlVersion: string; Actions: Record<string, Record<string, unknown>>[]; ErrorAction: Record<string, Record<string, unknown>> } {
      const [, topicRule] = onlyResourceOfType('AWS::IoT::TopicRule');
      return topicRule.Properties?.TopicRulePayload as ReturnType<typeof rule>;
    }

    it('forwards every device’s telemetry topic into the stream, keyed by the device, as a literal IoT substitution', () => {
      const payload = rule();
      expect(payload.Sql).toBe("SELECT * FROM 'devices/+/telemetry'");
      expect(payload.AwsIotSqlVersion).toBe('2016-03-23');
      expect(payload.Actions).toHaveLength(1);
      const kinesis = payload.Actions[0]!.Kinesis!;
      expect(referencedId(kinesis.StreamName)).toBe(telemetryStream()[0]);
      // Exactly this string: resolved by IoT per message, not by Serverless or CloudFormation.
      expect(kinesis.PartitionKey).toBe('${topic(2)}');
    });

    it('keeps what it could not deliver in the data bucket under iot-errors/', () => {
      const s3 = rule().ErrorAction.S3!;
      expect(referencedId(s3.BucketName)).toBe(dataBucketId());
      expect(s3.Key).toBe('iot-errors/${topic(2)}/${newuuid()}.json');
      expect(getAttArn(s3.RoleArn)).toBe(getAttArn(rule().Actions[0]!.Kinesis!.RoleArn));
    });

    it('acts through a role only IoT may assume, that may put into the stream and write iot-errors/ only', () => {
      const roleId = getAttArn(rule().Actions[0]!.Kinesis!.RoleArn)!;
      const trust = asList((resource(roleId).Properties?.AssumeRolePolicyDocument as PolicyDocument).Statement);
      expect(trust).toHaveLength(1);
      expect(trust[0]!.Principal).toEqual({ Service: 'iot.amazonaws.com' });
      expect(trust[0]!.Condition?.StringEquals?.['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
      const statements = statementsOfRole(roleId);
      expectNoWildcardActions(statements);
      expectNoWildcardResources(statements);
      expect(actionsOf(statements)).toEqual(['kinesis:PutRecord', 'kms:GenerateDataKey', 's3:PutObject']);
      expect(statementsWithAction(statements, 'kinesis:').flatMap((s) => asList(s.Resource)).map(getAttArn)).toEqual([telemetryStream()[0]]);
      for (const statement of statementsWithAction(statements, 'kms:')) {
        expect(asList(statement.Resource).map(getAttArn)).toEqual([dataKeyId()]);
        expect(statement.Condition).toBeDefined();
      }
      const objects = statementsWithAction(statements, 's3:').flatMap((s) => asList(s.Resource)).map((r) => stringLeaves(r).join(''));
      expect(objects).toEqual([`arn:\${AWS::Partition}:s3:::${String(resource(dataBucketId()).Properties?.BucketName)}/iot-errors/*`]);
    });
  });
});

describe('serverless print --stage prod', () => {
  let prod: ServiceDefinition;

  beforeAll(async () => {
    prod = await loadServiceDefinition({ stage: 'prod' });
  }, 120_000);

  it('protects the DynamoDB tables from deletion', () => {
    const tables = Object.values(prod.resources?.Resources ?? {}).filter((r) => r.Type === 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(3);
    for (const table of tables) expect(table.Properties?.DeletionProtectionEnabled).toBe(true);
  });
});

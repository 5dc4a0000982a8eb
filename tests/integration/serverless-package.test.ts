/**
 * `serverless package`, offline, and assertions on the CloudFormation it generates: the
 * Firehose transform is wired as intended, data at rest is encrypted and private, and no IAM
 * statement grants `*`. The real-time half (IoT rule → Kinesis → two consumers → DynamoDB and
 * OpenSearch) is checked the same way: encryption, event source mappings, failure destinations,
 * alarms and least-privilege roles; so are the SQS workers (queues and their DLQs, mappings,
 * tables, alarms, and roles granting exactly what the workers' code sends).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { attributeKindOf } from '../../lib/cdc/apply/attribute-values';
import { targetKeyDefinition } from '../../lib/cdc/apply/table-specs';
import { loadServiceDefinition, type ServiceDefinition } from '../../lib/local/service';
import { getSchema } from '../../lib/schemas/registry';
import type { TableKeyDefinition } from '../../lib/sinks/dynamodb/tables';
import { LEDGER_TABLE_KEYS } from '../../lib/sinks/dynamodb-ledger/tables';
import { VOTE_TABLE_KEYS } from '../../lib/sinks/dynamodb-votes/tables';
import { SQS_WORKER_ENV } from '../../lib/sqs/workers/environment';
import { PROJECT_ROOT, runServerless } from '../support/serverless-cli';

interface Resource {
  readonly Type: string;
  readonly Condition?: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

interface Template {
  readonly Resources: Record<string, Resource>;
  readonly Conditions?: Record<string, unknown>;
  readonly Outputs?: Record<string, { readonly Condition?: string; readonly Value: unknown }>;
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

/**
 * Every statement that applies to a role: its inline policies and AWS::IAM::Policy resources
 * attached to it, except those under a condition that is false in this template (not created).
 */
function statementsOfRole(roleId: string): Statement[] {
  const role = resource(roleId);
  expect(role.Type).toBe('AWS::IAM::Role');
  const inline = (role.Properties?.Policies as { PolicyDocument: PolicyDocument }[] | undefined) ?? [];
  const attached = [...resourcesOfType('AWS::IAM::Policy'), ...resourcesOfType('AWS::IAM::ManagedPolicy')]
    .filter(([, policy]) => policy.Condition === undefined || conditionHolds(policy.Condition))
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

/** A Kinesis stream by its literal name (the name the local runtime creates it by). */
function streamNamed(name: string): [string, Resource] {
  const found = resourcesOfType('AWS::Kinesis::Stream').filter(([, s]) => s.Properties?.Name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function telemetryStream(): [string, Resource] {
  return streamNamed('shardline-dev-telemetry');
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

  it('protects the DynamoDB tables from deletion, the CDC target tables and the SQS workers’ included', () => {
    const tables = Object.values(prod.resources?.Resources ?? {}).filter((r) => r.Type === 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(3 + CDC_TABLE_NAMES.length + SQS_WORKERS.flatMap((w) => w.tables).length);
    for (const table of tables) expect(table.Properties?.DeletionProtectionEnabled).toBe(true);
  });
});

// --- Change data capture: DMS → CDC stream → cdc-replay → DynamoDB ----------------------------

interface CdcSourceSchema {
  readonly schema: string;
  readonly tables: Readonly<Record<string, { readonly key: readonly string[]; readonly columns: Readonly<Record<string, { readonly type: string }>> }>>;
}

const CDC_SOURCE = JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas', 'cdc', 'shop.json'), 'utf8')) as CdcSourceSchema;
const CDC_TABLE_NAMES = Object.keys(CDC_SOURCE.tables);
const CDC_REPLAY = { handler: 'functions/cdc-replay.handler', bundledFile: 'functions/cdc-replay.js', service: 'cdc-replay' } as const;
const CDC_TABLE_PREFIX = 'shardline-dev-cdc-';

/** The serverless.yml helper, through Node's own require (the Serverless resolver loads it the same way). */
const serverlessTables = createRequire(join(PROJECT_ROOT, 'serverless.yml'))('./lib/cdc/serverless-tables.cjs') as { attributeType(pgType: string): 'S' | 'N' };

/** The target table's key as the brief states it: HASH the first key column, RANGE the second; N for bigint, integer, numeric. */
function expectedCdcKey(table: string): { KeySchema: unknown[]; AttributeDefinitions: unknown[] } {
  const { key, columns } = CDC_SOURCE.tables[table]!;
  return {
    KeySchema: key.map((column, i) => ({ AttributeName: column, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
    AttributeDefinitions: key.map((column) => ({ AttributeName: column, AttributeType: /^(bigint|integer|numeric)\b/.test(columns[column]!.type) ? 'N' : 'S' })),
  };
}

function cdcStream(): [string, Resource] {
  return streamNamed('shardline-dev-cdc');
}

function cdcTables(): [string, Resource][] {
  return resourcesOfType('AWS::DynamoDB::Table').filter(([, t]) => String(t.Properties?.TableName).startsWith(CDC_TABLE_PREFIX));
}

function cdcTableOf(table: string): [string, Resource] {
  const found = cdcTables().filter(([, t]) => t.Properties?.TableName === `${CDC_TABLE_PREFIX}${CDC_SOURCE.schema}-${table}`);
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** `dynamodb:<Operation>` for every `new <Operation>Command(` the applier's sources contain. */
function applierDynamoDbActions(): string[] {
  const dir = join(PROJECT_ROOT, 'lib', 'cdc', 'apply');
  const operations = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    for (const match of readFileSync(join(dir, file), 'utf8').matchAll(/new\s+(\w+)Command\s*\(/g)) operations.add(`dynamodb:${match[1]!}`);
  }
  return [...operations].sort();
}

describe('serverless package: change data capture', () => {
  describe('the CDC stream', () => {
    it('is encrypted with this template’s KMS key, provisioned with one shard by default, and keeps records 7 days', () => {
      const properties = cdcStream()[1].Properties!;
      expect(properties.StreamEncryption).toEqual({ EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': [dataKeyId(), 'Arn'] } });
      expect(properties.StreamModeDetails).toEqual({ StreamMode: 'PROVISIONED' });
      const [condition, onDemand, provisioned] = (properties.ShardCount as { 'Fn::If': [string, unknown, unknown] })['Fn::If'];
      expect(onDemand).toEqual({ Ref: 'AWS::NoValue' });
      expect(provisioned).toBe(1);
      expect(template.Conditions?.[condition]).toEqual({ 'Fn::Equals': ['PROVISIONED', 'ON_DEMAND'] });
      expect(properties.RetentionPeriodHours).toBe(168);
    });
  });

  describe('the cdc-replay function', () => {
    it('runs on Node 22, arm64, with its target tables’ prefix, delete mode and failure location in its environment', () => {
      const [, fn] = functionWithHandler(CDC_REPLAY.handler);
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: 256 });
      expect(fn.Properties?.Timeout).toBeGreaterThanOrEqual(30);
      expect(fn.Properties?.Timeout).toBeLessThanOrEqual(300);
      const env = environmentOf(fn);
      expect(env.CDC_TARGET_TABLE_PREFIX).toBe(CDC_TABLE_PREFIX);
      expect(env.CDC_DELETES).toBe('tombstone');
      expect(env.FAILURE_PREFIX).toBe('failed/cdc-replay/');
      const buckets = resourcesOfType('AWS::S3::Bucket').filter(([id]) => id !== 'ServerlessDeploymentBucket');
      expect(buckets.map(([, b]) => b.Properties?.BucketName)).toContain(env.FAILURE_BUCKET);
      // The prefix and the source's schema and table names give each target table's name.
      for (const table of CDC_TABLE_NAMES) expect(cdcTableOf(table)[1].Properties?.TableName).toBe(`${String(env.CDC_TARGET_TABLE_PREFIX)}${CDC_SOURCE.schema}-${table}`);
    });

    it('reads the CDC stream from the oldest record, one batch per shard, with bounded retries and partial batch responses', () => {
      const [functionId] = functionWithHandler(CDC_REPLAY.handler);
      const mapping = mappingOf(functionId);
      expect(getAttArn(mapping.EventSourceArn)).toBe(cdcStream()[0]);
      expect(mapping.StartingPosition).toBe('TRIM_HORIZON');
      expect(mapping.BatchSize).toBeGreaterThanOrEqual(1);
      expect(mapping.BatchSize).toBeLessThanOrEqual(10_000);
      expect(mapping.MaximumBatchingWindowInSeconds).toBeGreaterThan(0);
      expect(mapping.MaximumBatchingWindowInSeconds).toBeLessThanOrEqual(300);
      expect(mapping.ParallelizationFactor).toBe(1);
      expect(mapping.BisectBatchOnFunctionError).toBe(true);
      expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(mapping.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(mapping.MaximumRetryAttempts).toBeLessThanOrEqual(10_000);
      expect(mapping.MaximumRecordAgeInSeconds).toBeGreaterThanOrEqual(60);
      expect(mapping.MaximumRecordAgeInSeconds).toBeLessThan(Number(cdcStream()[1].Properties?.RetentionPeriodHours) * 3600);
    });

    it('sends what it gives up on to its own encrypted, TLS-only queue, kept 14 days, which its role may send to', () => {
      const [functionId, fn] = functionWithHandler(CDC_REPLAY.handler);
      const queueId = onFailureQueueOf(functionId);
      const queue = resource(queueId);
      expect(queue.Type).toBe('AWS::SQS::Queue');
      expect(queue.Properties?.QueueName).toBe('shardline-dev-cdc-replay-failures');
      expect(referencedId(queue.Properties?.KmsMasterKeyId)).toBe(dataKeyId());
      expect(queue.Properties?.MessageRetentionPeriod).toBe(1_209_600);
      expectTlsOnlyQueue(queueId);
      const send = statementsWithAction(statementsOfRole(roleOfFunction(fn)), 'sqs:');
      expect(actionsOf(send)).toEqual(['sqs:SendMessage']);
      expect(send.flatMap((s) => asList(s.Resource)).map(getAttArn)).toEqual([queueId]);
      const sqsKey = statementsOfRole(roleOfFunction(fn)).filter((s) => s.Condition?.StringEquals?.['kms:EncryptionContext:aws:sqs:arn'] !== undefined);
      expect(sqsKey.map((s) => getAttArn(s.Condition!.StringEquals!['kms:EncryptionContext:aws:sqs:arn']))).toEqual([queueId]);
    });

    it('may read the CDC stream and nothing else of Kinesis, decrypting its records through Kinesis only', () => {
      const [, fn] = functionWithHandler(CDC_REPLAY.handler);
      const statements = statementsOfRole(roleOfFunction(fn));
      const kinesis = statementsWithAction(statements, 'kinesis:');
      expect(actionsOf(kinesis).filter((a) => !KINESIS_READ_ACTIONS.includes(a))).toEqual(['kinesis:ListStreams']);
      expect(actionsOf(kinesis)).toEqual(expect.arrayContaining(KINESIS_READ_ACTIONS));
      for (const statement of kinesis) expect(asList(statement.Resource).map(getAttArn)).toEqual([cdcStream()[0]]);
      const decrypt = statements.filter((s) => s.Condition?.StringEquals?.['kms:EncryptionContext:aws:kinesis:arn'] !== undefined);
      expect(decrypt).toHaveLength(1);
      expect(decrypt[0]!.Action).toEqual(['kms:Decrypt']);
      expect(getAttArn(decrypt[0]!.Condition!.StringEquals!['kms:EncryptionContext:aws:kinesis:arn'])).toBe(cdcStream()[0]);
    });

    it('may send the applier’s DynamoDB requests, and those only, to the CDC target tables only', () => {
      const [, fn] = functionWithHandler(CDC_REPLAY.handler);
      const dynamodb = statementsWithAction(statementsOfRole(roleOfFunction(fn)), 'dynamodb:');
      const granted = actionsOf(dynamodb);
      expect(granted).toEqual(applierDynamoDbActions());
      expect(granted).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Scan']);
      expect(dynamodb.flatMap((s) => asList(s.Resource)).map(getAttArn).sort()).toEqual(CDC_TABLE_NAMES.map((t) => cdcTableOf(t)[0]).sort());
    });

    it('writes poison records under its own prefix of the data bucket only, uses the data key under conditions only, and no other service', () => {
      const [, fn] = functionWithHandler(CDC_REPLAY.handler);
      const env = environmentOf(fn);
      const statements = statementsOfRole(roleOfFunction(fn));
      expectNoWildcardActions(statements);
      expectNoWildcardResources(statements);
      const s3 = statementsWithAction(statements, 's3:');
      expect(actionsOf(s3)).toEqual(['s3:PutObject']);
      const objects = s3.flatMap((s) => asList(s.Resource)).map((r) => stringLeaves(r).join(''));
      expect(objects).toEqual([`arn:\${AWS::Partition}:s3:::${String(env.FAILURE_BUCKET)}/failed/cdc-replay/*`]);
      for (const statement of statementsWithAction(statements, 'kms:')) {
        expect(asList(statement.Resource).map(getAttArn)).toEqual([dataKeyId()]);
        expect(statement.Condition).toBeDefined();
      }
      const services = new Set(actionsOf(statements).map((a) => a.split(':')[0]));
      expect([...services].sort()).toEqual(['dynamodb', 'kinesis', 'kms', 'logs', 's3', 'sqs']);
    });

    it('raises alarms when it falls behind, when its on-failure queue holds a message, and on any poison record', () => {
      const [functionId, fn] = functionWithHandler(CDC_REPLAY.handler);
      const age = onlyAlarm((a) => a.MetricName === 'IteratorAge' && referencedId(a.Dimensions[0]?.Value) === functionId);
      expect(age.Namespace).toBe('AWS/Lambda');
      expect(dimension(age, 'FunctionName')).toEqual({ Ref: functionId });
      expect(age.Statistic).toBe('Maximum');
      expect(age.Threshold).toBe(60_000);
      expect(age.Period * age.EvaluationPeriods).toBe(300);
      const queueId = onFailureQueueOf(functionId);
      const queue = onlyAlarm((a) => a.Namespace === 'AWS/SQS' && getAttTargets(a.Dimensions).includes(queueId));
      expect(queue.MetricName).toBe('ApproximateNumberOfMessagesVisible');
      expect(dimension(queue, 'QueueName')).toEqual({ 'Fn::GetAtt': [queueId, 'QueueName'] });
      expect(queue.Threshold).toBe(1);
      expect(queue.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
      const poison = onlyAlarm((a) => a.MetricName === 'PoisonRecords' && a.Dimensions.some((d) => d.Value === CDC_REPLAY.service));
      expect(poison.Namespace).toBe(environmentOf(fn).POWERTOOLS_METRICS_NAMESPACE);
      expect(poison.Dimensions).toEqual([{ Name: 'service', Value: CDC_REPLAY.service }]);
      expect(poison.Statistic).toBe('Sum');
      expect(poison.Threshold).toBe(1);
      for (const alarm of [age, queue, poison]) expectAlarmToNotify(alarm);
    });

    it('writes the function’s zip, with the bundled handler in it', async () => {
      const [, fn] = functionWithHandler(CDC_REPLAY.handler);
      const s3Key = (fn.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key;
      expect(typeof s3Key).toBe('string');
      expect(zipEntryNames(await readFile(join(packageDir!, basename(s3Key as string))))).toContain(CDC_REPLAY.bundledFile);
    });
  });

  describe('the CDC target tables', () => {
    it('are one per table of schemas/cdc/shop.json, named <prefix><schema>-<table>', () => {
      expect(cdcTables().map(([, t]) => t.Properties?.TableName).sort()).toEqual(CDC_TABLE_NAMES.map((t) => `${CDC_TABLE_PREFIX}${CDC_SOURCE.schema}-${t}`).sort());
    });

    it.each(CDC_TABLE_NAMES)('%s: keyed by its primary key as shop.json gives it, and as the applier writes it', (table) => {
      const properties = cdcTableOf(table)[1].Properties!;
      const expected = expectedCdcKey(table);
      expect(properties.KeySchema).toEqual(expected.KeySchema);
      expect(properties.AttributeDefinitions).toEqual(expected.AttributeDefinitions);
      const { key, columns } = CDC_SOURCE.tables[table]!;
      const applier = targetKeyDefinition({ keyColumns: key, columnTypes: Object.fromEntries(Object.entries(columns).map(([name, c]) => [name, c.type])) });
      expect(properties.KeySchema).toEqual(applier.KeySchema);
      expect(properties.AttributeDefinitions).toEqual(applier.AttributeDefinitions);
    });

    it.each(CDC_TABLE_NAMES)('%s: on demand, encrypted with the data key, with point-in-time recovery and tombstones expiring', (table) => {
      const properties = cdcTableOf(table)[1].Properties!;
      expect(properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [dataKeyId(), 'Arn'] } });
      expect(properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(properties.TimeToLiveSpecification).toEqual({ AttributeName: '_cdc_expires_at', Enabled: true });
      expect(properties.DeletionProtectionEnabled).toBe(false);
    });

    it('get key types from the same PostgreSQL → DynamoDB mapping the applier uses', () => {
      const types = ['bigint', 'integer', 'smallint', 'int8', 'numeric', 'numeric(14,2)', 'decimal(12, 4)', 'double precision', 'real', 'serial',
        'text', 'uuid', 'char(2)', 'varchar(20)', 'timestamptz', 'date', 'integer[]', 'money', 'jsonb'];
      for (const type of types) expect([type, serverlessTables.attributeType(type)]).toEqual([type, attributeKindOf(type) === 'N' ? 'N' : 'S']);
    });
  });

  describe('DMS by default', () => {
    const DMS_TYPES = ['AWS::DMS::ReplicationSubnetGroup', 'AWS::DMS::ReplicationInstance', 'AWS::DMS::Endpoint', 'AWS::DMS::ReplicationTask'];

    it('is declared only under the DmsEnabled condition, which is false: no DMS resource is created', () => {
      const dms = Object.entries(template.Resources).filter(([, r]) => DMS_TYPES.includes(r.Type));
      expect(dms.map(([, r]) => r.Type).sort()).toEqual([...DMS_TYPES, 'AWS::DMS::Endpoint'].sort());
      for (const [, r] of dms) expect(r.Condition).toBe('DmsEnabled');
      expect(template.Conditions?.DmsEnabled).toEqual({ 'Fn::Equals': ['false', 'true'] });
      expect(conditionHolds('DmsEnabled')).toBe(false);
      // The roles DMS assumes exist only with DMS.
      const dmsRoles = resourcesOfType('AWS::IAM::Role').filter(([, r]) => stringLeaves((r.Properties?.AssumeRolePolicyDocument as PolicyDocument).Statement).some((l) => l.startsWith('dms.')));
      expect(dmsRoles.length).toBe(2);
      for (const [, r] of dmsRoles) expect(r.Condition).toBe('DmsEnabled');
    });

    it('is referred to by no resource or output that exists without it', () => {
      const conditional = new Set(Object.entries(template.Resources).filter(([, r]) => r.Condition === 'DmsEnabled').map(([id]) => id));
      const refersToConditional = (value: unknown): string[] => [...new Set([...getAttTargets(value), ...refTargets(value)])].filter((id) => conditional.has(id));
      for (const [id, r] of Object.entries(template.Resources)) {
        if (r.Condition === undefined) expect([id, refersToConditional(r)]).toEqual([id, []]);
      }
      for (const [name, output] of Object.entries(template.Outputs ?? {})) {
        if (output.Condition === undefined) expect([name, refersToConditional(output.Value)]).toEqual([name, []]);
      }
    });
  });
});

/** Every `Ref` target inside a value. */
function refTargets(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refTargets);
  if (typeof value !== 'object' || value === null) return [];
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') return [ref];
  return Object.values(value).flatMap(refTargets);
}

// --- DMS enabled: `serverless package --param="dmsEnabled=true"` ------------------------------

const DMS_PARAMS = {
  dmsEnabled: 'true',
  dmsSubnetIds: 'subnet-0aaa1111,subnet-0bbb2222',
  dmsSecurityGroupIds: 'sg-0ccc3333',
  dmsSourceDatabase: 'shopdb',
  dmsSourceSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shardline/cdc-source-AbCdEf',
} as const;

describe('serverless package --param="dmsEnabled=true"', () => {
  let dmsDir: string | undefined;
  let dms: Template;

  beforeAll(async () => {
    dmsDir = await mkdtemp(join(tmpdir(), 'shardline-package-dms-'));
    await runServerless(['package', '--package', dmsDir, ...Object.entries(DMS_PARAMS).map(([name, value]) => `--param=${name}=${value}`)]);
    dms = JSON.parse(await readFile(join(dmsDir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  }, 180_000);

  afterAll(async () => {
    if (dmsDir) await rm(dmsDir, { recursive: true, force: true });
  });

  function only(type: string, predicate: (r: Resource) => boolean = () => true): [string, Resource] {
    const found = Object.entries(dms.Resources).filter(([, r]) => r.Type === type && predicate(r));
    expect(found).toHaveLength(1);
    return found[0]!;
  }

  function dmsResource(id: string): Resource {
    const found = dms.Resources[id];
    if (!found) throw new Error(`No resource ${id} in the DMS-enabled template`);
    return found;
  }

  const sourceEndpoint = (): [string, Resource] => only('AWS::DMS::Endpoint', (r) => r.Properties?.EndpointType === 'source');
  const targetEndpoint = (): [string, Resource] => only('AWS::DMS::Endpoint', (r) => r.Properties?.EndpointType === 'target');
  const cdcStreamId = (): string => Object.entries(dms.Resources).find(([, r]) => r.Type === 'AWS::Kinesis::Stream' && r.Properties?.Name === 'shardline-dev-cdc')![0];
  const dataKey = (): string => Object.entries(dms.Resources).find(([, r]) => r.Type === 'AWS::KMS::Key')![0];

  /** A role's trust and inline statements (the DMS roles keep their policies inline). */
  function roleOf(value: unknown): { trust: Statement[]; statements: Statement[] } {
    const role = dmsResource(getAttArn(value)!);
    expect(role.Type).toBe('AWS::IAM::Role');
    const policies = (role.Properties?.Policies as { PolicyDocument: PolicyDocument }[] | undefined) ?? [];
    return {
      trust: asList((role.Properties?.AssumeRolePolicyDocument as PolicyDocument).Statement),
      statements: policies.flatMap((p) => asList(p.PolicyDocument.Statement)),
    };
  }

  it('turns the DmsEnabled condition on', () => {
    expect(dms.Conditions?.DmsEnabled).toEqual({ 'Fn::Equals': ['true', 'true'] });
  });

  it('runs a private replication instance in the given subnets, its storage encrypted with the data key', () => {
    const [subnetGroupId, subnetGroup] = only('AWS::DMS::ReplicationSubnetGroup');
    expect(subnetGroup.Properties?.SubnetIds).toEqual({ 'Fn::Split': [',', DMS_PARAMS.dmsSubnetIds] });
    const [, instance] = only('AWS::DMS::ReplicationInstance');
    expect(instance.Properties).toMatchObject({
      ReplicationInstanceIdentifier: 'shardline-dev-cdc',
      ReplicationInstanceClass: 'dms.t3.medium',
      PubliclyAccessible: false,
      KmsKeyId: { 'Fn::GetAtt': [dataKey(), 'Arn'] },
      ReplicationSubnetGroupIdentifier: { Ref: subnetGroupId },
      VpcSecurityGroupIds: { 'Fn::Split': [',', DMS_PARAMS.dmsSecurityGroupIds] },
    });
    expect(String(instance.Properties?.MultiAZ)).toBe('false');
    expect(String(instance.Properties?.EngineVersion)).toMatch(/^3\.\d+\.\d+$/);
    expect(Number(instance.Properties?.AllocatedStorage)).toBeGreaterThanOrEqual(20);
  });

  it('reads the PostgreSQL source with credentials from Secrets Manager, over TLS, decoding with test_decoding and a WAL heartbeat', () => {
    const [, endpoint] = sourceEndpoint();
    const properties = endpoint.Properties!;
    expect(properties.EngineName).toBe('postgres');
    expect(properties.DatabaseName).toBe(DMS_PARAMS.dmsSourceDatabase);
    expect(['require', 'verify-full']).toContain(properties.SslMode);
    // The secret holds host, port, user and password: none of them is in the template.
    for (const property of ['Username', 'Password', 'ServerName', 'Port']) expect(properties[property]).toBeUndefined();
    const settings = properties.PostgreSqlSettings as Record<string, unknown>;
    expect(settings.SecretsManagerSecretId).toBe(DMS_PARAMS.dmsSourceSecretArn);
    expect(settings).toMatchObject({ PluginName: 'test-decoding', HeartbeatEnable: true, FailTasksOnLobTruncation: true });
    expect(Number(settings.HeartbeatFrequency)).toBeGreaterThan(0);
    expect(settings.SlotName).toEqual({ 'Fn::If': ['DmsSourceHasSlotName', '', { Ref: 'AWS::NoValue' }] });
  });

  it('reads the secret through a role only DMS may assume, that may read that one secret and nothing else', () => {
    const { trust, statements } = roleOf((sourceEndpoint()[1].Properties!.PostgreSqlSettings as Record<string, unknown>).SecretsManagerAccessRoleArn);
    expect(trust).toHaveLength(1);
    expect(trust[0]!.Action).toBe('sts:AssumeRole');
    for (const principal of stringLeaves(trust[0]!.Principal)) expect(principal).toMatch(/^dms\.(\$\{AWS::Region\}\.)?amazonaws\.com$/);
    expect(trust[0]!.Condition?.StringEquals?.['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: DMS_PARAMS.dmsSourceSecretArn });
  });

  it('writes one-line JSON into the CDC stream with transaction, partition, DDL and control details, nulls included', () => {
    const [, endpoint] = targetEndpoint();
    expect(endpoint.Properties?.EngineName).toBe('kinesis');
    const { ServiceAccessRoleArn: role, ...settings } = endpoint.Properties?.KinesisSettings as Record<string, unknown>;
    expect(dmsResource(getAttArn(role)!).Type).toBe('AWS::IAM::Role');
    expect(settings).toEqual({
      StreamArn: { 'Fn::GetAtt': [cdcStreamId(), 'Arn'] },
      MessageFormat: 'json-unformatted',
      IncludeTransactionDetails: true,
      IncludePartitionValue: true,
      PartitionIncludeSchemaTable: true,
      IncludeTableAlterOperations: true,
      IncludeControlDetails: true,
      IncludeNullAndEmpty: true,
    });
  });

  it('writes through a role only DMS may assume, that may put into the CDC stream and encrypt for it only', () => {
    const { trust, statements } = roleOf((targetEndpoint()[1].Properties!.KinesisSettings as Record<string, unknown>).ServiceAccessRoleArn);
    expect(trust).toEqual([expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'dms.amazonaws.com' }, Action: 'sts:AssumeRole' })]);
    expectNoWildcardActions(statements);
    expectNoWildcardResources(statements);
    expect(actionsOf(statements)).toEqual(['kinesis:DescribeStream', 'kinesis:PutRecord', 'kinesis:PutRecords', 'kms:GenerateDataKey']);
    expect(statementsWithAction(statements, 'kinesis:').flatMap((s) => asList(s.Resource)).map(getAttArn)).toEqual([cdcStreamId()]);
    const kms = statementsWithAction(statements, 'kms:');
    expect(kms.flatMap((s) => asList(s.Resource)).map(getAttArn)).toEqual([dataKey()]);
    expect(kms.map((s) => getAttArn(s.Condition?.StringEquals?.['kms:EncryptionContext:aws:kinesis:arn']))).toEqual([cdcStreamId()]);
  });

  it('runs a full-load-and-cdc task selecting exactly the tables of schemas/cdc/shop.json, keyed by primary key', () => {
    const [, task] = only('AWS::DMS::ReplicationTask');
    const properties = task.Properties!;
    expect(properties.MigrationType).toBe('full-load-and-cdc');
    expect(referencedId(properties.ReplicationInstanceArn)).toBe(only('AWS::DMS::ReplicationInstance')[0]);
    expect(referencedId(properties.SourceEndpointArn)).toBe(sourceEndpoint()[0]);
    expect(referencedId(properties.TargetEndpointArn)).toBe(targetEndpoint()[0]);
    type Rule = { 'rule-type': string; 'rule-id': string; 'rule-action': string; 'object-locator': { 'schema-name': string; 'table-name': string }; 'mapping-parameters'?: Record<string, unknown> };
    const { rules } = JSON.parse(properties.TableMappings as string) as { rules: Rule[] };
    // Literal names: `_` and `%` are wildcards in a DMS locator, `[_]` and `[%]` the characters.
    const literal = (pattern: string): string => {
      expect(pattern.replace(/\[[_%]\]/g, '')).not.toMatch(/[_%[\]]/);
      return pattern.replace(/\[([_%])\]/g, '$1');
    };
    const located = (type: string): string[] => rules.filter((r) => r['rule-type'] === type).map((r) => `${literal(r['object-locator']['schema-name'])}.${literal(r['object-locator']['table-name'])}`).sort();
    const expected = CDC_TABLE_NAMES.map((t) => `${CDC_SOURCE.schema}.${t}`).sort();
    expect(located('selection')).toEqual(expected);
    expect(rules.filter((r) => r['rule-type'] === 'selection').every((r) => r['rule-action'] === 'include')).toBe(true);
    expect(located('object-mapping')).toEqual(expected);
    for (const rule of rules.filter((r) => r['rule-type'] === 'object-mapping')) {
      expect(rule['rule-action']).toBe('map-record-to-record');
      expect(rule['mapping-parameters']).toEqual({ 'partition-key-type': 'primary-key' });
    }
    expect(new Set(rules.map((r) => r['rule-id'])).size).toBe(rules.length);
  });

  it('sends the old primary key with updates (before image), logs to CloudWatch, and never truncates a value silently', () => {
    const settings = JSON.parse(only('AWS::DMS::ReplicationTask')[1].Properties!.ReplicationTaskSettings as string) as Record<string, Record<string, unknown>>;
    expect(settings.BeforeImageSettings).toEqual({ EnableBeforeImage: true, FieldName: 'before-image', ColumnFilter: 'pk-only' });
    expect(settings.Logging?.EnableLogging).toBe(true);
    expect(settings.TargetMetadata).toMatchObject({ SupportLobs: true, FullLobMode: false, LimitedSizeLobMode: true });
    expect(Number(settings.TargetMetadata?.LobMaxSize)).toBeLessThan(1024);
    expect(settings.ErrorBehavior).toMatchObject({ DataTruncationErrorPolicy: 'STOP_TASK' });
  });

  it('holds no password anywhere', () => {
    const keys = (value: unknown): string[] => {
      if (Array.isArray(value)) return value.flatMap(keys);
      if (typeof value !== 'object' || value === null) return [];
      return Object.entries(value).flatMap(([k, v]) => [k, ...keys(v)]);
    };
    expect(keys(dms).filter((k) => /password/i.test(k))).toEqual([]);
  });
});

// --- SQS workers: votes (standard queue) and a ledger per account (FIFO queue) ----------------

interface SqsWorkerSpec {
  readonly key: string;
  readonly handler: string;
  readonly bundledFile: string;
  /** The handler's source, where its Powertools service name is read. */
  readonly handlerFile: string;
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  readonly fifo: boolean;
  /** The sink the handler writes through: its DynamoDB requests are read from these sources. */
  readonly sinkDir: string;
  /** The sink's table names (`this.tables.<name>`) → the environment variable the handler reads it from. */
  readonly tables: readonly { readonly sinkName: string; readonly env: string; readonly keys: TableKeyDefinition }[];
}

const SQS_WORKERS: readonly SqsWorkerSpec[] = [
  {
    key: 'sqsWorker', handler: 'functions/sqs-worker.handler', bundledFile: 'functions/sqs-worker.js', handlerFile: 'functions/sqs-worker.ts',
    queueName: 'shardline-dev-votes', deadLetterQueueName: 'shardline-dev-votes-dlq', fifo: false, sinkDir: 'lib/sinks/dynamodb-votes',
    tables: [
      { sinkName: 'votes', env: SQS_WORKER_ENV.votesTable, keys: VOTE_TABLE_KEYS.votes },
      { sinkName: 'tallies', env: SQS_WORKER_ENV.voteTalliesTable, keys: VOTE_TABLE_KEYS.tallies },
    ],
  },
  {
    key: 'sqsFifoWorker', handler: 'functions/sqs-fifo-worker.handler', bundledFile: 'functions/sqs-fifo-worker.js', handlerFile: 'functions/sqs-fifo-worker.ts',
    queueName: 'shardline-dev-ledger.fifo', deadLetterQueueName: 'shardline-dev-ledger-dlq.fifo', fifo: true, sinkDir: 'lib/sinks/dynamodb-ledger',
    tables: [
      { sinkName: 'entries', env: SQS_WORKER_ENV.ledgerTable, keys: LEDGER_TABLE_KEYS.entries },
      { sinkName: 'accounts', env: SQS_WORKER_ENV.accountsTable, keys: LEDGER_TABLE_KEYS.accounts },
    ],
  },
];

/** The transactions' shared code: its commands count as the sinks' own. */
const TRANSACTIONS_DIR = 'lib/sinks/dynamodb-transactions';
/** The SQS maximum message size since August 2025 (1 MiB). */
const SQS_MAX_MESSAGE_SIZE = 1_048_576;
const SQS_MAX_RETENTION_SECONDS = 1_209_600;

interface SqsMapping {
  readonly EventSourceArn: unknown;
  readonly FunctionName: unknown;
  readonly Enabled: boolean;
  readonly BatchSize: number;
  readonly MaximumBatchingWindowInSeconds?: number;
  readonly FunctionResponseTypes?: string[];
  readonly ScalingConfig?: { readonly MaximumConcurrency?: number };
}

/** What IAM checks a DynamoDB request against, per table: the action, and whether it is sent inside TransactWriteItems. */
interface TableAction {
  readonly table: string;
  readonly action: string;
  readonly transactional: boolean;
}

const TRANSACTION_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem', Update: 'dynamodb:UpdateItem', Delete: 'dynamodb:DeleteItem', ConditionCheck: 'dynamodb:ConditionCheckItem',
};

function sourcesOf(dir: string): string {
  const absolute = join(PROJECT_ROOT, dir);
  return readdirSync(absolute).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(absolute, f), 'utf8')).join('\n');
}

/**
 * The DynamoDB requests a worker's sink sends, read from its code: every `new <Op>Command(` of the
 * sink and the transactions helper, each item command with the table it names
 * (`TableName: this.tables.<name>`), and for TransactWriteItems — which IAM does not know as an
 * action — the actions it carries (`Put: { TableName: this.tables.<name>`, …), each checked by IAM
 * as PutItem, UpdateItem… with `dynamodb:EnclosingOperation` TransactWriteItems.
 */
function sinkTableActions(worker: SqsWorkerSpec): TableAction[] {
  const sink = sourcesOf(worker.sinkDir);
  const commands = new Set([...`${sink}\n${sourcesOf(TRANSACTIONS_DIR)}`.matchAll(/new\s+(\w+)Command\s*\(/g)].map((m) => m[1]!));
  const found: TableAction[] = [];
  for (const command of commands) {
    if (command === 'TransactWriteItems') {
      const actions = [...sink.matchAll(/\b(Put|Update|Delete|ConditionCheck)\s*:\s*\{\s*TableName:\s*this\.tables\.(\w+)/g)];
      expect(actions.length).toBeGreaterThan(0);
      for (const [, kind, table] of actions) found.push({ table: table!, action: TRANSACTION_ACTIONS[kind!]!, transactional: true });
      continue;
    }
    const calls = [...sink.matchAll(new RegExp(`new\\s+${command}Command\\s*\\(\\s*\\{\\s*TableName:\\s*this\\.tables\\.(\\w+)`, 'g'))];
    // Every command the sink sends is attributed to a table, or this reading of the code is out of date.
    expect([command, calls.length]).not.toEqual([command, 0]);
    for (const [, table] of calls) found.push({ table: table!, action: `dynamodb:${command}`, transactional: false });
  }
  const key = (a: TableAction): string => `${a.table} ${a.action} ${String(a.transactional)}`;
  return [...new Map(found.map((a) => [key(a), a])).values()].sort((a, b) => key(a).localeCompare(key(b)));
}

/** The Powertools service name the handler gives its logger and metrics (the `service` dimension). */
function powertoolsServiceOf(worker: SqsWorkerSpec): string {
  const source = readFileSync(join(PROJECT_ROOT, worker.handlerFile), 'utf8');
  const metrics = [...source.matchAll(/createMetrics\('([^']+)'\)/g)].map((m) => m[1]!);
  const logger = [...source.matchAll(/createLogger\('([^']+)'\)/g)].map((m) => m[1]!);
  expect(metrics).toHaveLength(1);
  expect(logger).toEqual(metrics);
  return metrics[0]!;
}

function queueNamed(name: string): [string, Resource] {
  const found = resourcesOfType('AWS::SQS::Queue').filter(([, q]) => q.Properties?.QueueName === name);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function sqsMappingOf(functionId: string): SqsMapping {
  const found = resourcesOfType('AWS::Lambda::EventSourceMapping').filter(([, m]) => referencedId(m.Properties?.FunctionName) === functionId);
  expect(found).toHaveLength(1);
  return found[0]![1].Properties as unknown as SqsMapping;
}

function redrivePolicyOf(queue: Resource): { deadLetterTargetArn: unknown; maxReceiveCount: number } {
  const policy = queue.Properties?.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number } | undefined;
  if (!policy) throw new Error(`${String(queue.Properties?.QueueName)} has no RedrivePolicy`);
  return policy;
}

function dynamoDbTableNamed(name: unknown): [string, Resource] {
  const found = resourcesOfType('AWS::DynamoDB::Table').filter(([, t]) => t.Properties?.TableName === name);
  expect(found).toHaveLength(1);
  return found[0]!;
}

const payloadObjects = (): string => `arn:\${AWS::Partition}:s3:::${String(resource(dataBucketId()).Properties?.BucketName)}/sqs-payloads/*`;

describe('serverless package: the SQS workers', () => {
  describe.each(SQS_WORKERS)('$key', (worker) => {
    const fn = (): [string, Resource] => functionWithHandler(worker.handler);
    const queue = (): [string, Resource] => queueNamed(worker.queueName);
    const deadLetterQueue = (): [string, Resource] => queueNamed(worker.deadLetterQueueName);
    const statements = (): Statement[] => statementsOfRole(roleOfFunction(fn()[1]));

    it('runs on Node 22, arm64, with its tables’ literal names in its environment and payload deletion off', () => {
      const [, lambda] = fn();
      expect(lambda.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: 256 });
      expect(lambda.Properties?.Timeout).toBeGreaterThanOrEqual(10);
      expect(lambda.Properties?.Timeout).toBeLessThanOrEqual(120);
      const env = environmentOf(lambda);
      for (const table of worker.tables) expect(typeof env[table.env]).toBe('string');
      expect(env[SQS_WORKER_ENV.deletePayloadAfterSuccess]).toBe('false');
    });

    it('reads its queue with partial batch responses, a bounded concurrency and a batch size the queue type allows', () => {
      const [functionId] = fn();
      const mapping = sqsMappingOf(functionId);
      expect(getAttArn(mapping.EventSourceArn)).toBe(queue()[0]);
      expect(mapping.Enabled).toBe(true);
      // Without it Lambda ignores the handler's answer and deletes the whole batch.
      expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      const concurrency = mapping.ScalingConfig?.MaximumConcurrency;
      expect(concurrency).toBeGreaterThanOrEqual(2);
      expect(concurrency).toBeLessThanOrEqual(1000);
      if (worker.fifo) {
        // A FIFO queue's mapping takes at most 10 messages and no batching window.
        expect(mapping.BatchSize).toBeGreaterThanOrEqual(1);
        expect(mapping.BatchSize).toBeLessThanOrEqual(10);
        expect(mapping.MaximumBatchingWindowInSeconds).toBeUndefined();
      } else {
        expect(mapping.BatchSize).toBeGreaterThanOrEqual(10);
        expect(mapping.BatchSize).toBeLessThanOrEqual(10_000);
        // Lambda takes a batch size above 10 only with a batching window of at least 1 s.
        if (mapping.BatchSize > 10) expect(mapping.MaximumBatchingWindowInSeconds).toBeGreaterThanOrEqual(1);
        expect(mapping.MaximumBatchingWindowInSeconds ?? 0).toBeLessThanOrEqual(300);
      }
    });

    it('gives its queue a visibility timeout of at least 6 × the function timeout plus the batching window', () => {
      const [functionId, lambda] = fn();
      const timeout = Number(lambda.Properties?.Timeout);
      const window = sqsMappingOf(functionId).MaximumBatchingWindowInSeconds ?? 0;
      const visibility = queue()[1].Properties?.VisibilityTimeout;
      expect(typeof visibility).toBe('number');
      expect(visibility).toBeGreaterThanOrEqual(6 * timeout + window);
      expect(visibility).toBeLessThanOrEqual(43_200);
    });

    it('dead-letters after 5 receives into a queue of the same type, kept 14 days, that only this queue may use', () => {
      const [queueId, source] = queue();
      const [dlqId, dlq] = deadLetterQueue();
      expect(redrivePolicyOf(source)).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 });
      // A FIFO queue's DLQ must be FIFO (and a standard queue's standard).
      expect(dlq.Properties?.FifoQueue ?? false).toBe(worker.fifo);
      expect(String(dlq.Properties?.QueueName).endsWith('.fifo')).toBe(worker.fifo);
      expect(dlq.Properties?.RedrivePolicy).toBeUndefined();
      expect(dlq.Properties?.MessageRetentionPeriod).toBe(SQS_MAX_RETENTION_SECONDS);
      // A standard queue's message keeps its first enqueue time in the DLQ: the DLQ must keep messages longer.
      expect(Number(source.Properties?.MessageRetentionPeriod)).toBeLessThan(SQS_MAX_RETENTION_SECONDS);
      // By the source's literal ARN (a GetAtt would be a cycle with the source's RedrivePolicy): it must be that queue's.
      expect(dlq.Properties?.RedriveAllowPolicy).toEqual({
        redrivePermission: 'byQueue',
        sourceQueueArns: [{ 'Fn::Sub': `arn:\${AWS::Partition}:sqs:\${AWS::Region}:\${AWS::AccountId}:${String(source.Properties?.QueueName)}` }],
      });
      expect(getAttTargets(dlq.Properties)).not.toContain(queueId);
    });

    it('encrypts the queue and its DLQ with the data key, takes messages up to the SQS maximum, and denies requests without TLS', () => {
      for (const [queueId, q] of [queue(), deadLetterQueue()]) {
        expect(q.Properties?.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [dataKeyId(), 'Arn'] });
        const reuse = Number(q.Properties?.KmsDataKeyReusePeriodSeconds);
        expect(reuse).toBeGreaterThanOrEqual(60);
        expect(reuse).toBeLessThanOrEqual(86_400);
        expect(q.Properties?.MaximumMessageSize).toBe(SQS_MAX_MESSAGE_SIZE);
        expect(q.Properties?.SqsManagedSseEnabled).toBeUndefined();
        expectTlsOnlyQueue(queueId);
      }
    });

    if (worker.fifo) {
      it('is a high-throughput FIFO queue deduplicating by the producer’s MessageDeduplicationId, per message group', () => {
        const properties = queue()[1].Properties!;
        expect(properties.QueueName).toMatch(/\.fifo$/);
        expect(properties).toMatchObject({
          FifoQueue: true, ContentBasedDeduplication: false, DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId',
        });
      });
    } else {
      it('is a standard queue', () => {
        const properties = queue()[1].Properties!;
        expect(properties.QueueName).not.toMatch(/\.fifo$/);
        for (const fifoOnly of ['FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit']) expect(properties[fifoOnly]).toBeUndefined();
      });
    }

    it.each(worker.tables)('$env names a table keyed as the sink writes it, on demand, encrypted with the data key, with point-in-time recovery', (table) => {
      const [, tableResource] = dynamoDbTableNamed(environmentOf(fn()[1])[table.env]);
      const properties = tableResource.Properties!;
      expect(properties.KeySchema).toEqual(table.keys.KeySchema);
      expect(properties.AttributeDefinitions).toEqual(table.keys.AttributeDefinitions);
      expect(properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [dataKeyId(), 'Arn'] } });
      expect(properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(properties.DeletionProtectionEnabled).toBe(false);
      // Votes and ledger entries are the record: nothing expires.
      expect(properties.TimeToLiveSpecification).toBeUndefined();
    });

    it('may receive from and delete in its own queue only, decrypting its messages through that queue only', () => {
      const all = statements();
      const sqs = statementsWithAction(all, 'sqs:');
      // What Lambda's documentation lists for an SQS mapping, added once by the plugin.
      expect(actionsOf(sqs)).toEqual(['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
      expect(sqs).toHaveLength(1);
      expect(sqs.flatMap((s) => asList(s.Resource)).map(getAttArn)).toEqual([queue()[0]]);
      const decrypt = all.filter((s) => s.Condition?.StringEquals?.['kms:EncryptionContext:aws:sqs:arn'] !== undefined);
      expect(decrypt).toHaveLength(1);
      // A receiver decrypts the queue's data key; only producers generate one.
      expect(decrypt[0]!.Action).toEqual(['kms:Decrypt']);
      expect(getAttArn(decrypt[0]!.Condition!.StringEquals!['kms:EncryptionContext:aws:sqs:arn'])).toBe(queue()[0]);
    });

    it('may send exactly the DynamoDB requests its sink’s code sends, to its own tables only, the writes inside transactions only', () => {
      const env = environmentOf(fn()[1]);
      const tableIds = new Map(worker.tables.map((t) => [t.sinkName, dynamoDbTableNamed(env[t.env])[0]]));
      const expected = sinkTableActions(worker);
      expect(expected.map((a) => a.table).every((t) => tableIds.has(t))).toBe(true);
      const dynamodb = statementsWithAction(statements(), 'dynamodb:');
      const granted = dynamodb.flatMap((s) => asList(s.Resource).flatMap((r) => asList(s.Action).map((action) => {
        const enclosing = s.Condition?.['ForAnyValue:StringEquals']?.['dynamodb:EnclosingOperation'];
        if (s.Condition !== undefined) expect(s.Condition).toEqual({ 'ForAnyValue:StringEquals': { 'dynamodb:EnclosingOperation': ['TransactWriteItems'] } });
        return `${String(getAttArn(r))} ${action} ${String(enclosing !== undefined)}`;
      })));
      expect(granted.sort()).toEqual(expected.map((a) => `${tableIds.get(a.table)!} ${a.action} ${String(a.transactional)}`).sort());
      // TransactWriteItems is no IAM action: its actions are authorised one by one.
      expect(actionsOf(dynamodb)).not.toContain('dynamodb:TransactWriteItems');
    });

    it('may read large payloads under the payload prefix only, uses the data key under conditions only, and no other service', () => {
      const all = statements();
      expectNoWildcardActions(all);
      expectNoWildcardResources(all);
      const s3 = statementsWithAction(all, 's3:');
      expect(actionsOf(s3)).toEqual(['s3:GetObject']);
      expect(s3.flatMap((s) => asList(s.Resource)).map((r) => stringLeaves(r).join(''))).toEqual([payloadObjects()]);
      const kms = statementsWithAction(all, 'kms:');
      for (const statement of kms) {
        expect(asList(statement.Resource).map(getAttArn)).toEqual([dataKeyId()]);
        expect(statement.Condition).toBeDefined();
      }
      // S3 decrypts the payloads through S3 only, for this bucket (Bucket Key) or the prefix's objects.
      const viaS3 = kms.filter((s) => stringLeaves(s.Condition?.StringEquals?.['kms:ViaService']).join('') === 's3.${AWS::Region}.amazonaws.com');
      expect(viaS3).toHaveLength(1);
      expect(viaS3[0]!.Action).toEqual(['kms:Decrypt']);
      expect(asList(viaS3[0]!.Condition?.StringLike?.['kms:EncryptionContext:aws:s3:arn']).map((r) => stringLeaves(r).join('')))
        .toEqual([payloadObjects().replace(/\/sqs-payloads\/\*$/, ''), payloadObjects()]);
      const services = new Set(actionsOf(all).map((a) => a.split(':')[0]));
      expect([...services].sort()).toEqual(['dynamodb', 'kms', 'logs', 's3', 'sqs']);
    });

    it('raises alarms on the first dead letter, on a backlog older than a failing message can be, and on any poison message', () => {
      const [queueId, source] = queue();
      const [dlqId] = deadLetterQueue();
      const depth = onlyAlarm((a) => a.Namespace === 'AWS/SQS' && getAttTargets(a.Dimensions).includes(dlqId));
      expect(depth.MetricName).toBe('ApproximateNumberOfMessagesVisible');
      expect(dimension(depth, 'QueueName')).toEqual({ 'Fn::GetAtt': [dlqId, 'QueueName'] });
      expect(depth.Statistic).toBe('Maximum');
      expect(depth.Threshold).toBe(1);
      expect(depth.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');

      const age = onlyAlarm((a) => a.Namespace === 'AWS/SQS' && getAttTargets(a.Dimensions).includes(queueId));
      expect(age.MetricName).toBe('ApproximateAgeOfOldestMessage');
      expect(dimension(age, 'QueueName')).toEqual({ 'Fn::GetAtt': [queueId, 'QueueName'] });
      expect(age.Statistic).toBe('Maximum');
      expect(age.ComparisonOperator).toBe('GreaterThanThreshold');
      // A message failing until the redrive policy takes it lives up to maxReceiveCount visibility
      // timeouts: the alarm is above that, so it means a backlog, not one poison message.
      expect(age.Threshold).toBeGreaterThan(redrivePolicyOf(source).maxReceiveCount * Number(source.Properties?.VisibilityTimeout));
      expect(age.Threshold).toBeLessThanOrEqual(3600);

      const service = powertoolsServiceOf(worker);
      const poison = onlyAlarm((a) => a.MetricName === 'PoisonMessages' && a.Dimensions.some((d) => d.Value === service));
      expect(poison.Namespace).toBe('Shardline');
      expect(poison.Namespace).toBe(environmentOf(fn()[1]).POWERTOOLS_METRICS_NAMESPACE);
      expect(poison.Dimensions).toEqual([{ Name: 'service', Value: service }]);
      expect(poison.Statistic).toBe('Sum');
      expect(poison.Threshold).toBe(1);
      expect(poison.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
      for (const alarm of [depth, age, poison]) {
        expect(alarm.TreatMissingData).toBe('notBreaching');
        expectAlarmToNotify(alarm);
      }
    });

    it('writes the function’s zip, with the bundled handler in it', async () => {
      const s3Key = (fn()[1].Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key;
      expect(typeof s3Key).toBe('string');
      expect(zipEntryNames(await readFile(join(packageDir!, basename(s3Key as string))))).toContain(worker.bundledFile);
    });
  });

  describe('large payloads in S3', () => {
    const deletePolicy = (): [string, Resource] => {
      const found = resourcesOfType('AWS::IAM::Policy').filter(([, p]) => actionsOf(asList((p.Properties?.PolicyDocument as PolicyDocument).Statement)).includes('s3:DeleteObject'));
      expect(found).toHaveLength(1);
      return found[0]!;
    };

    it('are deleted by the workers only with sqsDeletePayloads: a policy under that condition, false by default, as the workers’ setting', () => {
      const [, policy] = deletePolicy();
      expect(policy.Condition).toBeDefined();
      const condition = template.Conditions?.[policy.Condition!] as { 'Fn::Equals': [unknown, unknown] };
      expect(condition).toEqual({ 'Fn::Equals': ['false', 'true'] });
      expect(conditionHolds(policy.Condition!)).toBe(false);
      // The condition and the workers' DELETE_PAYLOAD_AFTER_SUCCESS come from the same parameter.
      for (const worker of SQS_WORKERS) {
        expect(environmentOf(functionWithHandler(worker.handler)[1])[SQS_WORKER_ENV.deletePayloadAfterSuccess]).toBe(condition['Fn::Equals'][0]);
      }
      const statements = asList((policy.Properties?.PolicyDocument as PolicyDocument).Statement);
      expectNoWildcardActions(statements);
      expectNoWildcardResources(statements);
      expect(actionsOf(statements)).toEqual(['s3:DeleteObject']);
      expect(statements.flatMap((s) => asList(s.Resource)).map((r) => stringLeaves(r).join(''))).toEqual([payloadObjects()]);
      expect(asList(policy.Properties?.Roles).map(referencedId).sort()).toEqual(SQS_WORKERS.map((w) => roleOfFunction(functionWithHandler(w.handler)[1])).sort());
    });

    it('expire after every message that may point at them, deleted ones a day after', () => {
      const rules = (resource(dataBucketId()).Properties?.LifecycleConfiguration as { Rules: { Prefix?: string; Status: string; ExpirationInDays?: number; NoncurrentVersionExpiration?: { NoncurrentDays: number } }[] }).Rules;
      const payloads = rules.filter((r) => r.Prefix === 'sqs-payloads/');
      expect(payloads).toHaveLength(1);
      const [rule] = payloads;
      expect(rule!.Status).toBe('Enabled');
      expect(rule!.NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 1 });
      // A FIFO DLQ restarts a message's retention when it moves there: source + DLQ retention at most.
      for (const worker of SQS_WORKERS) {
        const longest = Number(queueNamed(worker.queueName)[1].Properties?.MessageRetentionPeriod) + Number(queueNamed(worker.deadLetterQueueName)[1].Properties?.MessageRetentionPeriod);
        expect(rule!.ExpirationInDays! * 86_400).toBeGreaterThan(longest);
      }
    });
  });
});

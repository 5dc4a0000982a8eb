/**
 * `serverless package`, offline, and assertions on the CloudFormation it generates: the
 * Firehose transform is wired as intended, data at rest is encrypted and private, and no IAM
 * statement grants `*`.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { getSchema } from '../../lib/schemas/registry';
import { runServerless } from '../support/serverless-cli';

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

interface Template {
  readonly Resources: Record<string, Resource>;
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

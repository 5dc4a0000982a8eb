/** What creating a declared resource in the emulators gives back, and what a creator is. */
import type { AwsClients } from '../../aws/clients';
import type { EmulatedService } from '../emulators/errors';
import type { IntrinsicResolver } from './intrinsics';
import type { JsonValue } from './service-definition';

/** A resource of `resources.Resources`, created (or found) in the emulators. */
export interface DeclaredResource {
  readonly logicalId: string;
  /** The CloudFormation type, e.g. `AWS::SQS::Queue`. */
  readonly type: string;
  /** The physical name: stream, queue, table or bucket name. */
  readonly name: string;
  /** The ARN the emulator gives the resource. */
  readonly arn: string;
  /** What CloudFormation's `Ref` returns: the queue URL for a queue, the name for the others. */
  readonly ref: string;
  /** `Fn::GetAtt` attributes available locally (always `Arn`; `QueueUrl`, `StreamArn`… by type). */
  readonly attributes: Readonly<Record<string, string>>;
  /** `existed` when it was already there (creation is idempotent). */
  readonly status: 'created' | 'existed';
  /** Declared properties the emulator does not apply (encryption, tags, lifecycle…). */
  readonly ignoredProperties: readonly string[];
}

/** A declared resource not created locally, and why. */
export interface SkippedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly reason: string;
}

/** An emulator refused a resource, or answered without what its creation needs. */
export class ResourceCreationError extends Error {
  override readonly name = 'ResourceCreationError';
  constructor(
    readonly logicalId: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${logicalId}: ${message}`, options);
  }
}

/** What a resource creator is given. */
export interface ResourceCreationInput {
  readonly logicalId: string;
  readonly properties: Readonly<Record<string, JsonValue>>;
  /** Resolves intrinsics, with every resource this one refers to already created. */
  readonly resolver: IntrinsicResolver;
  readonly clients: AwsClients;
  /** The stack name (`<service>-<stage>`), for names CloudFormation would generate. */
  readonly stackName: string;
  readonly region: string;
}

/** Creates one CloudFormation resource type in the emulators, idempotently. */
export interface ResourceCreator {
  /** The CloudFormation type it creates, e.g. `AWS::Kinesis::Stream`. */
  readonly type: string;
  /** The emulated service it needs. */
  readonly service: EmulatedService;
  create(input: ResourceCreationInput): Promise<DeclaredResource>;
}

/** The path of a property in error messages: `Resources.<LogicalId>.Properties.<name>`. */
export function propertyPath(logicalId: string, property: string): string {
  return `Resources.${logicalId}.Properties.${property}`;
}

/** The declared properties a creator does not apply (keys of `properties` not in `applied`). */
export function ignoredProperties(properties: Readonly<Record<string, unknown>>, applied: readonly string[]): string[] {
  return Object.keys(properties).filter((key) => !applied.includes(key));
}

/**
 * The name CloudFormation would generate for a resource declared without one, minus its random
 * suffix (so it is the same on every run): `<stack>-<LogicalId>`, cut to `maxLength`.
 */
export function generatedName(stackName: string, logicalId: string, maxLength: number): string {
  return `${stackName}-${logicalId}`.slice(0, maxLength);
}

/** The `name` of an AWS SDK error (its exception type), if it has one. */
export function awsErrorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

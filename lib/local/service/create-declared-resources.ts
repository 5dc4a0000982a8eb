/**
 * Creates in the emulators every resource the service definition declares that they can hold:
 * Kinesis streams, SQS queues, DynamoDB tables and S3 buckets, with the names and settings of the
 * definition. Other types (KMS, IAM, Firehose, Glue, Lambda…) are reported as skipped.
 */
import type { AwsClients } from '../../aws/clients';
import type { EmulatedService } from '../emulators/errors';
import { planDeclaredResources, type CreationPlan } from './creation-plan';
import type { DeclaredResource, ResourceCreator, SkippedResource } from './declared-resource';
import { dynamoDbTableCreator } from './dynamodb-table';
import { IntrinsicResolver, LOCAL_PSEUDO_PARAMETERS, type LookupResult, type PseudoParameters } from './intrinsics';
import { kinesisStreamCreator } from './kinesis-stream';
import { s3BucketCreator } from './s3-bucket';
import { stackNameOf, type ServiceDefinition } from './service-definition';
import { sqsQueueCreator } from './sqs-queue';

/** The creators of the resource types the emulators hold, by CloudFormation type. */
export const RESOURCE_CREATORS: ReadonlyMap<string, ResourceCreator> = new Map(
  [kinesisStreamCreator, sqsQueueCreator, dynamoDbTableCreator, s3BucketCreator].map((creator) => [creator.type, creator]),
);

/** Resources created (or found) by {@link createDeclaredResources}, and those skipped. */
export interface DeclaredResources {
  /** By logical id, e.g. `resources.DataBucket.name`. */
  readonly resources: Readonly<Record<string, DeclaredResource>>;
  readonly skipped: readonly SkippedResource[];
}

/** Options of {@link createDeclaredResources}. */
export interface CreateDeclaredResourcesOptions {
  /** Pseudo parameters; the local account (eu-west-1, 000000000000) and `<service>-<stage>` by default. */
  readonly pseudoParameters?: Partial<PseudoParameters>;
}

/**
 * The emulated services a plan's resources need, e.g. to start only those:
 * `startEmulators({ services: servicesNeededBy(planServiceResources(service)) })`.
 */
export function servicesNeededBy(plan: CreationPlan): EmulatedService[] {
  return [...new Set(plan.steps.map((step) => RESOURCE_CREATORS.get(step.type)!.service))];
}

/** A resolver whose `Ref`/`Fn::GetAtt` see the resources created so far, explaining any it cannot. */
function resolverFor(service: ServiceDefinition, created: ReadonlyMap<string, DeclaredResource>, pseudo: PseudoParameters): IntrinsicResolver {
  const declared = service.resources?.Resources ?? {};
  const missing = (logicalId: string): LookupResult => {
    const resource = declared[logicalId];
    if (resource === undefined) return { unresolved: `no resource named ${logicalId} in resources.Resources` };
    if (!RESOURCE_CREATORS.has(resource.Type)) return { unresolved: `${logicalId} is a ${resource.Type}, which is not created locally` };
    return { unresolved: `${logicalId} is not created (yet)` };
  };
  return new IntrinsicResolver(
    pseudo,
    {
      ref: (logicalId) => {
        const resource = created.get(logicalId);
        return resource === undefined ? missing(logicalId) : { value: resource.ref };
      },
      getAtt: (logicalId, attribute) => {
        const resource = created.get(logicalId);
        if (resource === undefined) return missing(logicalId);
        const value = resource.attributes[attribute];
        return value === undefined
          ? { unresolved: `${resource.type} ${logicalId} has no attribute ${attribute} locally (it has ${Object.keys(resource.attributes).join(', ')})` }
          : { value };
      },
    },
    service.resources?.Conditions ?? {},
  );
}

function pseudoParametersOf(service: ServiceDefinition, overrides: Partial<PseudoParameters> = {}): PseudoParameters {
  return { ...LOCAL_PSEUDO_PARAMETERS, stackName: stackNameOf(service), ...overrides };
}

/** The plan {@link createDeclaredResources} follows: what it creates, in which order, and what it skips. */
export function planServiceResources(service: ServiceDefinition, options: CreateDeclaredResourcesOptions = {}): CreationPlan {
  const resolver = resolverFor(service, new Map(), pseudoParametersOf(service, options.pseudoParameters));
  return planDeclaredResources(service, new Set(RESOURCE_CREATORS.keys()), resolver);
}

/**
 * Creates the declared streams, queues, tables and buckets, each after the resources it refers to,
 * and returns them by logical id with their physical names, ARNs and queue URLs. Idempotent: a
 * resource that exists is kept (a queue gets its declared attributes again). Throws
 * `UnresolvableIntrinsicError` for a value it cannot work out (it names the property),
 * `InvalidPropertyError`, `ResourceDependencyCycleError`, `ResourceCreationError`, or the SDK's error.
 */
export async function createDeclaredResources(
  service: ServiceDefinition,
  clients: AwsClients,
  options: CreateDeclaredResourcesOptions = {},
): Promise<DeclaredResources> {
  const pseudo = pseudoParametersOf(service, options.pseudoParameters);
  const created = new Map<string, DeclaredResource>();
  const resolver = resolverFor(service, created, pseudo);
  const plan = planDeclaredResources(service, new Set(RESOURCE_CREATORS.keys()), resolver);
  for (const step of plan.steps) {
    const creator = RESOURCE_CREATORS.get(step.type)!;
    const resource = await creator.create({
      logicalId: step.logicalId,
      properties: step.resource.Properties ?? {},
      resolver,
      clients,
      stackName: pseudo.stackName,
      region: pseudo.region,
    });
    created.set(step.logicalId, resource);
  }
  return { resources: Object.fromEntries(created), skipped: plan.skipped };
}

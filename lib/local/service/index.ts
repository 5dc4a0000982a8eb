/**
 * The service definition of serverless.yml, read for a stage, and its declared resources created
 * in the local emulators.
 *
 * @example
 * const service = await loadServiceDefinition({ stage: 'dev' });
 * const { resources, skipped } = await createDeclaredResources(service, emulators.clients);
 * resources.DataBucket?.name; // 'shardline-dev-data-eu-west-1'
 */
export { loadServiceDefinition, ServiceDefinitionLoadError, PROJECT_ROOT, type LoadServiceDefinitionOptions } from './load-service-definition';
export { serverlessCliEnvironment } from './serverless-cli-environment';
export { stackNameOf, type CloudFormationResource, type JsonValue, type ServiceDefinition } from './service-definition';
export {
  IntrinsicResolver,
  LOCAL_PSEUDO_PARAMETERS,
  referencedLogicalIds,
  UnresolvableIntrinsicError,
  type LookupResult,
  type PseudoParameters,
  type ResourceLookup,
} from './intrinsics';
export { ResourceCreationError, type DeclaredResource, type ResourceCreator, type SkippedResource } from './declared-resource';
export { InvalidPropertyError } from './property-readers';
export { ResourceDependencyCycleError, type CreationPlan, type PlannedResource } from './creation-plan';
export { ON_DEMAND_SHARD_COUNT, DEFAULT_SHARD_COUNT } from './kinesis-stream';
export {
  createDeclaredResources,
  planServiceResources,
  servicesNeededBy,
  RESOURCE_CREATORS,
  type CreateDeclaredResourcesOptions,
  type DeclaredResources,
} from './create-declared-resources';
export { declaredResourceResolver } from './declared-resolver';

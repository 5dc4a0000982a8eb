/** An intrinsic resolver over the resources created locally. */
import type { DeclaredResources } from './create-declared-resources';
import { IntrinsicResolver, LOCAL_PSEUDO_PARAMETERS } from './intrinsics';
import type { ServiceDefinition } from './service-definition';
import { stackNameOf } from './service-definition';

/** Resolves `Ref`/`Fn::GetAtt` (and the other intrinsics) against the resources created locally. */
export function declaredResourceResolver(service: ServiceDefinition, declared: DeclaredResources): IntrinsicResolver {
  const pseudo = { ...LOCAL_PSEUDO_PARAMETERS, ...(service.provider.region ? { region: service.provider.region } : {}), stackName: stackNameOf(service) };
  const notCreated = (logicalId: string): { unresolved: string } => ({
    unresolved: service.resources?.Resources?.[logicalId] === undefined
      ? `no resource named ${logicalId} in resources.Resources`
      : `${logicalId} was not created locally`,
  });
  return new IntrinsicResolver(
    pseudo,
    {
      ref: (logicalId) => {
        const resource = declared.resources[logicalId];
        return resource === undefined ? notCreated(logicalId) : { value: resource.ref };
      },
      getAtt: (logicalId, attribute) => {
        const resource = declared.resources[logicalId];
        if (resource === undefined) return notCreated(logicalId);
        const value = resource.attributes[attribute];
        return value === undefined ? { unresolved: `${resource.type} ${logicalId} has no attribute ${attribute} locally` } : { value };
      },
    },
    service.resources?.Conditions ?? {},
  );
}

/**
 * Which declared resources the emulators can hold, in which order to create them (a resource after
 * every one it refers to, e.g. a dead-letter queue before the queue whose redrive policy names
 * it), and which are skipped and why.
 */
import { referencedLogicalIds, type IntrinsicResolver } from './intrinsics';
import type { CloudFormationResource, ServiceDefinition } from './service-definition';
import type { SkippedResource } from './declared-resource';

/** One resource to create, after `dependsOn`. */
export interface PlannedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly resource: CloudFormationResource;
  /** Resources of the plan this one refers to (or declares in `DependsOn`). */
  readonly dependsOn: readonly string[];
}

/** The resources to create, in order, and those skipped. */
export interface CreationPlan {
  readonly steps: readonly PlannedResource[];
  readonly skipped: readonly SkippedResource[];
}

/** Resources that refer to each other in a loop, so none can be created first. */
export class ResourceDependencyCycleError extends Error {
  override readonly name = 'ResourceDependencyCycleError';
  constructor(readonly logicalIds: readonly string[]) {
    super(`these resources refer to each other in a cycle, none can be created first: ${logicalIds.join(', ')}`);
  }
}

function dependsOnList(resource: CloudFormationResource): string[] {
  const { DependsOn: dependsOn } = resource;
  if (typeof dependsOn === 'string') return [dependsOn];
  return dependsOn === undefined ? [] : [...dependsOn];
}

/**
 * Plans the creation of `service.resources.Resources` of the `creatable` types. A resource with a
 * `Condition` is skipped when `resolver` finds it false. Order: a resource after those it refers
 * to, otherwise the order of declaration. Throws {@link ResourceDependencyCycleError}.
 */
export function planDeclaredResources(service: ServiceDefinition, creatable: ReadonlySet<string>, resolver: IntrinsicResolver): CreationPlan {
  const declared = Object.entries(service.resources?.Resources ?? {});
  const skipped: SkippedResource[] = [];
  const candidates: Array<[string, CloudFormationResource]> = [];
  for (const [logicalId, resource] of declared) {
    if (!creatable.has(resource.Type)) {
      skipped.push({ logicalId, type: resource.Type, reason: `${resource.Type} is not created in the local emulators` });
    } else if (resource.Condition !== undefined && !resolver.evaluateCondition(resource.Condition, `Resources.${logicalId}.Condition`)) {
      skipped.push({ logicalId, type: resource.Type, reason: `its condition ${resource.Condition} is false` });
    } else {
      candidates.push([logicalId, resource]);
    }
  }

  const inPlan = new Set(candidates.map(([logicalId]) => logicalId));
  const dependencies = new Map<string, string[]>();
  for (const [logicalId, resource] of candidates) {
    const referenced = new Set([...referencedLogicalIds(resource.Properties ?? {}), ...dependsOnList(resource)]);
    dependencies.set(logicalId, [...referenced].filter((id) => id !== logicalId && inPlan.has(id)));
  }

  // Kahn's algorithm, taking the first ready resource in declaration order each time.
  const steps: PlannedResource[] = [];
  const done = new Set<string>();
  const pending = [...candidates];
  while (pending.length > 0) {
    const next = pending.findIndex(([logicalId]) => dependencies.get(logicalId)!.every((id) => done.has(id)));
    if (next === -1) throw new ResourceDependencyCycleError(pending.map(([logicalId]) => logicalId));
    const [[logicalId, resource]] = pending.splice(next, 1) as [[string, CloudFormationResource]];
    steps.push({ logicalId, type: resource.Type, resource, dependsOn: dependencies.get(logicalId)! });
    done.add(logicalId);
  }
  return { steps, skipped };
}

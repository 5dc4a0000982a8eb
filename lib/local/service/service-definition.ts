/**
 * The parts of a resolved Serverless service definition (`serverless print --format json`) the
 * local runtime reads. Everything else is kept as `unknown`.
 */

/** A JSON value as `serverless print` emits it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One entry of `resources.Resources`: a CloudFormation resource declaration. */
export interface CloudFormationResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, JsonValue>>;
  readonly DependsOn?: string | readonly string[];
  /** The name of an entry of `resources.Conditions`; the resource exists only when it is true. */
  readonly Condition?: string;
  readonly [key: string]: unknown;
}

/** A Serverless service definition, variables resolved for one stage (intrinsics left as they are). */
export interface ServiceDefinition {
  readonly service: string;
  readonly provider: {
    readonly name?: string;
    readonly stage?: string;
    readonly region?: string;
    readonly [key: string]: unknown;
  };
  readonly custom?: Readonly<Record<string, unknown>>;
  readonly functions?: Readonly<Record<string, unknown>>;
  readonly resources?: {
    readonly Resources?: Readonly<Record<string, CloudFormationResource>>;
    readonly Conditions?: Readonly<Record<string, JsonValue>>;
    readonly Outputs?: Readonly<Record<string, unknown>>;
    readonly [key: string]: unknown;
  };
  readonly [key: string]: unknown;
}

/** The CloudFormation stack name Serverless deploys a stage as: `<service>-<stage>`. */
export function stackNameOf(service: ServiceDefinition): string {
  return `${service.service}-${service.provider.stage ?? 'dev'}`;
}

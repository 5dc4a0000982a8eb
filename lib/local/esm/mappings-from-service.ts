/**
 * The event source mappings serverless.yml declares on its functions (`functions.<key>.events[]`
 * entries `stream` and `sqs`, as osls compiles them into `AWS::Lambda::EventSourceMapping`), as
 * configurations of the local {@link KinesisEventSource} and {@link SqsEventSource}, with their
 * ARNs resolved to the streams and queues created from `resources` (`createDeclaredResources`).
 *
 * osls's defaults are kept where they differ from AWS's: a stream's `batchSize` is 10 when not
 * given (AWS's own default is 100), and `startingPosition` TRIM_HORIZON.
 *
 * @example
 * const { resources } = await createDeclaredResources(service, clients);
 * const { kinesis, sqs } = eventSourceMappingsOf(service, { resources, skipped: [] });
 */
import type { DeclaredResource, DeclaredResources, JsonValue, ServiceDefinition } from '../service';
import { declaredResourceResolver, LOCAL_PSEUDO_PARAMETERS, stackNameOf, UnresolvableIntrinsicError } from '../service';
import type { IntrinsicResolver } from '../service';
import type { KinesisMappingConfig } from './kinesis-event-source';
import type { SqsMappingConfig } from './sqs-event-source';

/** A mapping declared by one event of a function. */
export interface DeclaredMapping<C> {
  /** The function's key under `functions`. */
  readonly functionKey: string;
  /** Where the event is, e.g. `functions.worker.events[0].sqs`. */
  readonly path: string;
  readonly config: C;
  /** Declared settings the local mapping does not apply (`filterPatterns`, `tumblingWindowInSeconds`, `consumer`, an SNS `destinations.onFailure`). */
  readonly ignoredSettings: readonly string[];
}

/** A declared stream or queue event not run locally, and why. */
export interface SkippedEventSource {
  readonly functionKey: string;
  readonly path: string;
  readonly reason: string;
}

/** What {@link eventSourceMappingsOf} finds. */
export interface DeclaredEventSourceMappings {
  readonly kinesis: readonly DeclaredMapping<KinesisMappingConfig>[];
  readonly sqs: readonly DeclaredMapping<SqsMappingConfig>[];
  /** Disabled mappings (`enabled: false`) and DynamoDB streams (not emulated). */
  readonly skipped: readonly SkippedEventSource[];
}

/** Options of {@link eventSourceMappingsOf}. */
export interface EventSourceMappingsOptions {
  /**
   * The ARN the local invoker knows a function by (e.g. `LocalFunctions.arnOf`); default:
   * `arn:aws:lambda:<region>:000000000000:function:<name>`, the name being the function's `name`
   * or `<service>-<stage>-<key>`.
   */
  readonly functionArnOf?: (functionKey: string) => string;
}

/** An event's `arn` (or its on-failure destination) that does not lead to a stream or queue created locally. */
export class UnresolvableEventSourceError extends Error {
  override readonly name = 'UnresolvableEventSourceError';

  constructor(
    /** Where the value is, e.g. `functions.worker.events[0].sqs.arn`. */
    readonly path: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${path}: ${reason}`, options);
  }
}

/** A setting of an event that is malformed, or that osls or the local mappings do not take. */
export class InvalidEventSourceSettingError extends Error {
  override readonly name = 'InvalidEventSourceSettingError';

  constructor(
    readonly path: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${path}: ${reason}`, options);
  }
}

type Json = Readonly<Record<string, JsonValue>>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads an event's settings, resolving intrinsics and naming the path of what is wrong. */
class SettingsReader {
  constructor(
    private readonly resolver: IntrinsicResolver,
    private readonly settings: Json,
    readonly path: string,
  ) {}

  has(key: string): boolean {
    return this.settings[key] !== undefined && this.settings[key] !== null;
  }

  raw(key: string): JsonValue | undefined {
    return this.settings[key];
  }

  integer(key: string): number | undefined {
    if (!this.has(key)) return undefined;
    const value = this.wrap(key, () => this.resolver.resolveNumber(this.settings[key]!, `${this.path}.${key}`));
    if (!Number.isInteger(value)) throw new InvalidEventSourceSettingError(`${this.path}.${key}`, `expected an integer, got ${value}`);
    return value;
  }

  boolean(key: string): boolean | undefined {
    return this.has(key) ? this.wrap(key, () => this.resolver.resolveBoolean(this.settings[key]!, `${this.path}.${key}`)) : undefined;
  }

  string(key: string): string | undefined {
    return this.has(key) ? this.wrap(key, () => this.resolver.resolveString(this.settings[key]!, `${this.path}.${key}`)) : undefined;
  }

  /** `functionResponseType: ReportBatchItemFailures`, the only value osls takes. */
  reportBatchItemFailures(): boolean | undefined {
    const type = this.string('functionResponseType');
    if (type === undefined) return undefined;
    if (type !== 'ReportBatchItemFailures') throw new InvalidEventSourceSettingError(`${this.path}.functionResponseType`, `expected ReportBatchItemFailures, got ${type}`);
    return true;
  }

  private wrap<T>(key: string, read: () => T): T {
    try {
      return read();
    } catch (error) {
      if (error instanceof UnresolvableIntrinsicError) throw new InvalidEventSourceSettingError(`${this.path}.${key}`, error.reason, { cause: error });
      throw error;
    }
  }
}


/** The ARN an event's `arn` (a string or an intrinsic) stands for. */
function resolveArn(resolver: IntrinsicResolver, value: JsonValue | undefined, path: string): string {
  if (value === undefined || value === null) throw new InvalidEventSourceSettingError(path, 'missing');
  try {
    return resolver.resolveString(value, path);
  } catch (error) {
    if (error instanceof UnresolvableIntrinsicError) throw new UnresolvableEventSourceError(path, error.reason, { cause: error });
    throw error;
  }
}

/** The declared resource of a type with that ARN. */
function resourceWithArn(declared: DeclaredResources, type: string, arn: string): DeclaredResource | undefined {
  return Object.values(declared.resources).find((r) => r.type === type && r.arn === arn);
}

/** A queue created locally, by ARN: its URL and ARN. */
function queueOf(declared: DeclaredResources, arn: string, path: string): { queueUrl: string; queueArn: string } {
  const queue = resourceWithArn(declared, 'AWS::SQS::Queue', arn);
  if (queue === undefined) throw new UnresolvableEventSourceError(path, `${arn} is not a queue declared in resources (its URL is unknown locally)`);
  return { queueUrl: queue.ref, queueArn: queue.arn };
}

/** The stream of an ARN: the declared one with that ARN, else the name the ARN gives (`…:stream/<name>`). */
function streamOf(declared: DeclaredResources, arn: string, path: string): { streamName: string; streamArn: string } {
  const stream = resourceWithArn(declared, 'AWS::Kinesis::Stream', arn);
  if (stream !== undefined) return { streamName: stream.name, streamArn: stream.arn };
  const match = /^arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/([^/]+)$/.exec(arn);
  if (match === null) throw new UnresolvableEventSourceError(path, `${arn} is not a Kinesis stream ARN`);
  return { streamName: match[1]!, streamArn: arn };
}

const STREAM_IGNORED = ['consumer', 'tumblingWindowInSeconds', 'filterPatterns'] as const;
const SQS_IGNORED = ['filterPatterns'] as const;

function kinesisMappingOf(
  reader: SettingsReader, resolver: IntrinsicResolver, declared: DeclaredResources, functionArn: string,
): { config: KinesisMappingConfig; ignoredSettings: string[] } {
  const { path } = reader;
  if (reader.has('maximumBatchingWindow')) {
    throw new InvalidEventSourceSettingError(`${path}.maximumBatchingWindow`, 'a stream event takes batchWindow (maximumBatchingWindow is the sqs event\'s)');
  }
  const startingPosition = reader.string('startingPosition');
  if (startingPosition !== undefined && startingPosition !== 'TRIM_HORIZON' && startingPosition !== 'LATEST') {
    throw new InvalidEventSourceSettingError(`${path}.startingPosition`, `${startingPosition} is not supported locally (TRIM_HORIZON or LATEST)`);
  }
  const ignoredSettings: string[] = STREAM_IGNORED.filter((key) => reader.has(key));
  let onFailure: KinesisMappingConfig['onFailure'];
  const destinations = reader.raw('destinations');
  if (destinations !== undefined && destinations !== null) {
    if (!isObject(destinations) || destinations.onFailure === undefined) throw new InvalidEventSourceSettingError(`${path}.destinations`, 'expected {onFailure: arn | {arn, type}}');
    const target = destinations.onFailure;
    const arnPath = isObject(target) ? `${path}.destinations.onFailure.arn` : `${path}.destinations.onFailure`;
    const arn = resolveArn(resolver, isObject(target) ? target.arn : target, arnPath);
    const declaredType = isObject(target) && typeof target.type === 'string' ? target.type : undefined;
    const type = declaredType ?? arn.split(':')[2];
    if (type === 'sns') ignoredSettings.push('destinations.onFailure');
    else if (type === 'sqs') onFailure = queueOf(declared, arn, arnPath);
    else throw new InvalidEventSourceSettingError(arnPath, `${arn}: on-failure destinations are SQS queues or SNS topics`);
  }
  const config: KinesisMappingConfig = {
    functionArn,
    ...streamOf(declared, resolveArn(resolver, reader.raw('arn'), `${path}.arn`), `${path}.arn`),
    batchSize: reader.integer('batchSize') ?? 10,
    startingPosition: startingPosition ?? 'TRIM_HORIZON',
    ...optional('maximumBatchingWindowInSeconds', reader.integer('batchWindow')),
    ...optional('parallelizationFactor', reader.integer('parallelizationFactor')),
    ...optional('bisectBatchOnFunctionError', reader.boolean('bisectBatchOnFunctionError')),
    ...optional('maximumRetryAttempts', reader.integer('maximumRetryAttempts')),
    // osls leaves a 0 out, as AWS does not take it.
    ...optional('maximumRecordAgeInSeconds', reader.integer('maximumRecordAgeInSeconds') || undefined),
    ...optional('reportBatchItemFailures', reader.reportBatchItemFailures()),
    ...optional('onFailure', onFailure),
  };
  return { config, ignoredSettings };
}

function sqsMappingOf(reader: SettingsReader, resolver: IntrinsicResolver, declared: DeclaredResources, functionArn: string): { config: SqsMappingConfig; ignoredSettings: string[] } {
  const { path } = reader;
  const config: SqsMappingConfig = {
    functionArn,
    ...queueOf(declared, resolveArn(resolver, reader.raw('arn'), `${path}.arn`), `${path}.arn`),
    batchSize: reader.integer('batchSize') ?? 10,
    ...optional('maximumBatchingWindowInSeconds', reader.integer('maximumBatchingWindow')),
    ...optional('reportBatchItemFailures', reader.reportBatchItemFailures()),
    ...optional('maximumConcurrency', reader.integer('maximumConcurrency')),
  };
  return { config, ignoredSettings: SQS_IGNORED.filter((key) => reader.has(key)) };
}

/** `{key: value}` when the value is there, else nothing (the config's own default applies). */
function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function defaultFunctionArnOf(service: ServiceDefinition): (key: string) => string {
  const region = service.provider.region ?? 'eu-west-1';
  return (key) => {
    const name = (service.functions?.[key] as { name?: unknown } | undefined)?.name;
    return `arn:aws:lambda:${region}:${LOCAL_PSEUDO_PARAMETERS.accountId}:function:${typeof name === 'string' ? name : `${stackNameOf(service)}-${key}`}`;
  };
}

/**
 * The Kinesis and SQS event source mappings of every function, in declaration order.
 * @param declared the streams and queues `createDeclaredResources` created (their names, ARNs, queue URLs).
 * @throws {UnresolvableEventSourceError} for an `arn` that is not a stream or queue created locally.
 * @throws {InvalidEventSourceSettingError} for a setting that is malformed or not supported locally.
 */
export function eventSourceMappingsOf(service: ServiceDefinition, declared: DeclaredResources, options: EventSourceMappingsOptions = {}): DeclaredEventSourceMappings {
  const resolver = declaredResourceResolver(service, declared);
  const functionArnOf = options.functionArnOf ?? defaultFunctionArnOf(service);
  const kinesis: DeclaredMapping<KinesisMappingConfig>[] = [];
  const sqs: DeclaredMapping<SqsMappingConfig>[] = [];
  const skipped: SkippedEventSource[] = [];
  for (const [functionKey, definition] of Object.entries(service.functions ?? {})) {
    const events = isObject(definition) ? definition.events : undefined;
    if (!Array.isArray(events)) continue;
    events.forEach((event, index) => {
      if (!isObject(event)) return;
      const kind = event.stream !== undefined ? 'stream' : event.sqs !== undefined ? 'sqs' : undefined;
      if (kind === undefined) return;
      const path = `functions.${functionKey}.events[${index}].${kind}`;
      // The short form is the ARN alone.
      const value = event[kind]!;
      const reader = new SettingsReader(resolver, isObject(value) ? value : { arn: value }, path);
      if (reader.boolean('enabled') === false) {
        skipped.push({ functionKey, path, reason: 'enabled: false' });
        return;
      }
      if (kind === 'sqs') {
        sqs.push({ functionKey, path, ...sqsMappingOf(reader, resolver, declared, functionArnOf(functionKey)) });
        return;
      }
      const arn = reader.raw('arn');
      const type = reader.string('type') ?? (typeof arn === 'string' ? arn.split(':')[2] : undefined);
      if (type === 'dynamodb') {
        skipped.push({ functionKey, path, reason: 'DynamoDB streams are not emulated' });
        return;
      }
      if (type !== 'kinesis') throw new InvalidEventSourceSettingError(`${path}.type`, `expected kinesis or dynamodb, got ${String(type)}`);
      kinesis.push({ functionKey, path, ...kinesisMappingOf(reader, resolver, declared, functionArnOf(functionKey)) });
    });
  }
  return { kinesis, sqs, skipped };
}

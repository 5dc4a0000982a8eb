/**
 * The offline runtime: serverless.yml's service on embedded emulators, with AWS's event-source
 * semantics. One call starts the emulators the declared resources need, creates those
 * resources, runs the declared functions in-process (pointed at the emulators through the
 * SDK's standard endpoint variables), serves the declared Firehose delivery streams, delivers
 * the data bucket's S3 notifications to their functions, polls the Kinesis and SQS event source
 * mappings, runs the IoT topic rules on published messages, and stands in for a declared
 * OpenSearch domain with the local OpenSearch emulator.
 */
import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { S3Event } from 'aws-lambda';
import type { AwsClients } from '../aws/clients';
import type { EmulatedService, Emulators } from './emulators';
import { startEmulators } from './emulators';
import { startFirehoseServer } from './firehose/api-server';
import type { LocalFirehoseServer } from './firehose/api-server';
import { deliveryStreamsOf } from './firehose/config-from-service';
import { LocalDeliveryStream } from './firehose/delivery-stream';
import type { FunctionDefinition, FunctionsService } from './lambda/local-functions';
import { LocalFunctions } from './lambda/local-functions';
import type { ServerlessOffline } from './lambda/offline-endpoint';
import { startServerlessOffline } from './lambda/offline-endpoint';
import { LocalIotRules, topicRulesOf } from './iot';
import { startOpenSearchEmulator } from './opensearch';
import type { LocalOpenSearch } from './opensearch';
import { S3NotificationWatcher } from './s3/notifications';
import { asyncFailureRecord, sendToQueueDestination } from './lambda/async-failure-destination';
import { KinesisEventSource } from './esm/kinesis-event-source';
import { SqsEventSource } from './esm/sqs-event-source';
import { eventSourceMappingsOf } from './esm/mappings-from-service';
import type { NotificationRule } from './s3/notifications';
import { createDeclaredResources, declaredResourceResolver, loadServiceDefinition, planServiceResources, servicesNeededBy } from './service';
import type { DeclaredResources, ServiceDefinition } from './service';
import { PROJECT_ROOT } from './service';

export interface LocalRuntimeOptions {
  readonly stage?: string;
  /** Emulated services to start besides those the resources need. */
  readonly services?: readonly EmulatedService[];
  /**
   * How functions run: in this process (default), or through `serverless offline`'s Lambda
   * endpoint (the bundled code, as serverless-offline runs it).
   */
  readonly invokeVia?: 'in-process' | 'serverless-offline';
  /**
   * Wraps every invocation the runtime makes (event source mappings, Firehose, S3
   * notifications): for fault injection, e.g. a function that crashes after writing half a batch.
   */
  readonly interceptInvoke?: InvokeInterceptor;
  /**
   * Local time compression: every declared queue's visibility timeout, in seconds, instead of
   * the declared one (which AWS wants at 6× the function timeout, minutes) — but never less than
   * the batching window of a mapping reading it plus 2 s. A failed message then comes back, and
   * reaches its DLQ after `maxReceiveCount` receives, in seconds; the semantics are unchanged.
   * Default: the declared timeouts.
   */
  readonly queueVisibilityTimeoutSeconds?: number;
}

/** Calls `invoke` (or not, or twice, or with another event) in place of the runtime. */
export type InvokeInterceptor = (functionReference: string, event: unknown, invoke: (functionReference: string, event: unknown) => Promise<unknown>) => Promise<unknown>;

export interface LocalRuntime {
  readonly service: ServiceDefinition;
  readonly emulators: Emulators;
  readonly clients: AwsClients;
  readonly resources: DeclaredResources;
  readonly functions: LocalFunctions;
  /** Delivery streams by name. */
  readonly deliveryStreams: ReadonlyMap<string, LocalDeliveryStream>;
  readonly firehoseEndpoint: string;
  /** The local OpenSearch, when serverless.yml declares a domain (functions get its URL as `OPENSEARCH_ENDPOINT` and `AWS_ENDPOINT_URL_OPENSEARCH`). */
  readonly opensearch: LocalOpenSearch | undefined;
  readonly notifications: readonly S3NotificationWatcher[];
  /** The declared IoT topic rules: `iot.publish(topic, payload)` as a device would publish over MQTT. */
  readonly iot: LocalIotRules;
  /** The functions' Kinesis and SQS event source mappings, as serverless.yml declares them. */
  readonly mappings: { readonly kinesis: readonly KinesisEventSource[]; readonly sqs: readonly SqsEventSource[] };
  /** Flushes every delivery stream, delivers every pending S3 notification and drains every event source mapping, until quiet. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

type Json = Readonly<Record<string, unknown>>;

/** `Fn::GetAtt [Id, Arn]` → `Id`. */
const getAttId = (value: unknown): string | undefined => {
  const getAtt = (value as Json | null | undefined)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined;
};

/** The Lambda notification rules of each declared bucket (its `NotificationConfiguration`). */
export function notificationRulesOf(service: ServiceDefinition): Map<string, NotificationRule[]> {
  const rules = new Map<string, NotificationRule[]>();
  for (const resource of Object.values(service.resources?.Resources ?? {})) {
    if (resource.Type !== 'AWS::S3::Bucket') continue;
    const bucket = resource.Properties?.BucketName;
    const configurations = ((resource.Properties?.NotificationConfiguration as Json | undefined)?.LambdaConfigurations ?? []) as Json[];
    if (typeof bucket !== 'string' || configurations.length === 0) continue;
    rules.set(bucket, configurations.map((configuration) => {
      const filters = ((((configuration.Filter as Json | undefined)?.S3Key as Json | undefined)?.Rules ?? []) as { Name: string; Value: string }[]);
      const value = (name: string): string | undefined => filters.find((f) => f.Name.toLowerCase() === name)?.Value;
      const fn = getAttId(configuration.Function) ?? String(configuration.Function);
      const prefix = value('prefix');
      const suffix = value('suffix');
      return { function: fn, event: String(configuration.Event), ...(prefix ? { prefix } : {}), ...(suffix ? { suffix } : {}) };
    }));
  }
  return rules;
}

/** The function-related parts of the printed definition, in the shape {@link LocalFunctions} reads. */
function functionsServiceOf(service: ServiceDefinition): FunctionsService {
  const { provider } = service;
  return {
    service: service.service,
    provider: {
      ...(provider.stage ? { stage: provider.stage } : {}),
      ...(provider.region ? { region: provider.region } : {}),
      ...(provider.environment ? { environment: provider.environment as Record<string, string> } : {}),
      ...(typeof provider.timeout === 'number' ? { timeout: provider.timeout } : {}),
      ...(typeof provider.memorySize === 'number' ? { memorySize: provider.memorySize } : {}),
    },
    functions: (service.functions ?? {}) as Record<string, FunctionDefinition>,
  };
}

/**
 * The SQS queue URL of a function's asynchronous on-failure destination
 * (`destinations.onFailure` → `Fn::GetAtt [Queue, Arn]` of a declared queue), if it has one.
 */
export function onFailureQueueOf(service: ServiceDefinition, resources: DeclaredResources, functionKey: string): string | undefined {
  const definition = service.functions?.[functionKey] as Json | undefined;
  const onFailure = (definition?.destinations as Json | undefined)?.onFailure;
  const arn = typeof onFailure === 'object' && onFailure !== null ? (onFailure as Json).arn : onFailure;
  const id = getAttId(arn);
  const queue = id ? resources.resources[id] : undefined;
  return queue?.type === 'AWS::SQS::Queue' ? queue.ref : undefined;
}

/** Whether the service declares an OpenSearch domain, which the local runtime then emulates. */
export const declaresOpenSearchDomain = (service: ServiceDefinition): boolean =>
  Object.values(service.resources?.Resources ?? {}).some((resource) => resource.Type === 'AWS::OpenSearchService::Domain');

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const service = await loadServiceDefinition(options.stage ? { stage: options.stage } : {});
  const needed = new Set<EmulatedService>([...servicesNeededBy(planServiceResources(service)), ...(options.services ?? [])]);
  const emulators = await startEmulators({ services: [...needed] });
  let firehoseServer: LocalFirehoseServer | undefined;
  let opensearch: LocalOpenSearch | undefined;
  let offline: ServerlessOffline | undefined;
  const notifications: S3NotificationWatcher[] = [];
  try {
    const resources = await createDeclaredResources(service, emulators.clients);

    const streams = new Map<string, LocalDeliveryStream>();
    firehoseServer = await startFirehoseServer(streams);
    const endpointVariables: Record<string, string> = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_ENDPOINT_URL_FIREHOSE: firehoseServer.endpoint };
    for (const [name, url] of Object.entries(emulators.endpoints)) endpointVariables[`AWS_ENDPOINT_URL_${name.toUpperCase()}`] = url;
    if (declaresOpenSearchDomain(service)) {
      // On AWS the variable is the domain's endpoint (a GetAtt); here, the emulator's, which checks that requests are signed.
      opensearch = await startOpenSearchEmulator({ port: 0, requireSignedRequests: true });
      endpointVariables.OPENSEARCH_ENDPOINT = opensearch.endpoint;
      endpointVariables.AWS_ENDPOINT_URL_OPENSEARCH = opensearch.endpoint;
    }
    const functions = new LocalFunctions(functionsServiceOf(service), PROJECT_ROOT, endpointVariables);
    if (options.invokeVia === 'serverless-offline') offline = await startServerlessOffline({ stage: service.provider.stage ?? 'dev', env: endpointVariables });
    const endpoint = offline;
    const direct = (reference: string, event: unknown): Promise<unknown> => (endpoint ? endpoint.invoke(reference, event) : functions.invoke(reference, event));
    const intercept = options.interceptInvoke;
    const invoke = intercept ? (reference: string, event: unknown): Promise<unknown> => intercept(reference, event, direct) : direct;
    for (const config of deliveryStreamsOf(service, (reference) => functions.arnOf(functions.keyOf(reference)))) {
      streams.set(config.name, new LocalDeliveryStream(config, emulators.clients.s3(), invoke));
    }
    for (const [bucket, rules] of notificationRulesOf(service)) {
      // Retries spent: the event goes to the function's on-failure queue, as Lambda sends it.
      const watcher = new S3NotificationWatcher(emulators.clients.s3(), bucket, rules, (fn, event: S3Event) => invoke(fn, event), async (failure, event, error) => {
        const key = functions.keyOf(failure.rule.function);
        const queueUrl = onFailureQueueOf(service, resources, key);
        if (queueUrl) await sendToQueueDestination(emulators.clients.sqs(), queueUrl, asyncFailureRecord(functions.arnOf(key), event, error, failure.attempts));
      });
      watcher.start();
      notifications.push(watcher);
    }
    const iot = new LocalIotRules(topicRulesOf(service, declaredResourceResolver(service, resources)), emulators.clients);
    const declared = eventSourceMappingsOf(service, resources, { functionArnOf: (key) => functions.arnOf(key) });
    if (options.queueVisibilityTimeoutSeconds !== undefined) {
      // Still longer than the batching window of a mapping reading the queue (as AWS requires),
      // else messages waiting in a window come back and are received twice.
      const windowOf = (url: string): number => Math.max(0, ...declared.sqs.filter((m) => m.config.queueUrl === url).map((m) => m.config.maximumBatchingWindowInSeconds ?? 0));
      for (const queue of Object.values(resources.resources).filter((r) => r.type === 'AWS::SQS::Queue')) {
        const seconds = Math.max(options.queueVisibilityTimeoutSeconds, windowOf(queue.ref) + 2);
        await emulators.clients.sqs().send(new SetQueueAttributesCommand({ QueueUrl: queue.ref, Attributes: { VisibilityTimeout: String(seconds) } }));
      }
    }
    const mappings = {
      kinesis: declared.kinesis.map((m) => new KinesisEventSource(m.config, emulators.clients.kinesis(), emulators.clients.sqs(), invoke)),
      sqs: declared.sqs.map((m) => new SqsEventSource(m.config, emulators.clients.sqs(), invoke)),
    };
    const server = firehoseServer;
    return {
      service, emulators, clients: emulators.clients, resources, functions, deliveryStreams: streams,
      firehoseEndpoint: server.endpoint, opensearch, notifications, iot, mappings,
      async settle() {
        for (let round = 0; round < 10; round++) {
          const before = [...streams.values()].reduce((sum, s) => sum + s.stats.received, 0);
          for (const stream of streams.values()) await stream.flush();
          for (const watcher of notifications) await watcher.drain();
          for (const mapping of mappings.kinesis) await mapping.drain();
          for (const mapping of mappings.sqs) await mapping.drain();
          const after = [...streams.values()].reduce((sum, s) => sum + s.stats.received, 0);
          if (after === before) return;
        }
      },
      async stop() {
        for (const watcher of notifications) watcher.stop();
        for (const mapping of [...mappings.kinesis, ...mappings.sqs]) mapping.stop();
        for (const stream of streams.values()) stream.stop();
        await server.close();
        await endpoint?.stop();
        await opensearch?.stop();
        await emulators.stop();
      },
    };
  } catch (error) {
    for (const watcher of notifications) watcher.stop();
    await firehoseServer?.close();
    await opensearch?.stop();
    await offline?.stop();
    await emulators.stop();
    throw error;
  }
}

/**
 * The embedded AWS emulators, started in this process (DynamoDB Local as a child process) on free
 * loopback ports: Kinesis (kinesalite), SQS and S3 (fauxqs, one port), DynamoDB (DynamoDB Local).
 * All in memory: every start is empty.
 *
 * @example
 * const emulators = await startEmulators({ services: ['kinesis', 's3'] });
 * try {
 *   await emulators.clients.s3().send(new CreateBucketCommand({ Bucket: 'b' }));
 * } finally {
 *   await emulators.stop();
 * }
 */
import { createAwsClients, type AwsClientConfig, type AwsClients } from '../../aws/clients';
import { startDynamoDbLocal, type DynamoDbLocalStartOptions } from './dynamodb-local';
import { EmulatorStopError, type EmulatedService } from './errors';
import { startFauxqsEmulator } from './fauxqs';
import { startKinesalite } from './kinesalite';
import type { RunningEmulator } from './running-emulator';

export { EmulatorStartError, EmulatorStopError, JavaNotFoundError, type EmulatedService } from './errors';
export type { RunningEmulator } from './running-emulator';
export type { DynamoDbLocalStartOptions } from './dynamodb-local';

/** Every service the emulators provide, in the order they are listed. */
export const EMULATED_SERVICES: readonly EmulatedService[] = ['kinesis', 'sqs', 's3', 'dynamodb'];

/** The region of {@link Emulators.clients} (and of the ARNs kinesalite and fauxqs give). */
export const EMULATOR_REGION = 'eu-west-1';
/** The credentials of {@link Emulators.clients}: fake, every emulator accepts any. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/** Options of {@link startEmulators}. */
export interface StartEmulatorsOptions<S extends EmulatedService = EmulatedService> {
  /** The services to start; all when absent. Leave out `dynamodb` where there is no Java (or no need). */
  readonly services?: readonly S[];
  /** DynamoDB Local's start and stop timeouts. */
  readonly dynamodb?: DynamoDbLocalStartOptions;
}

/** Started emulators: their endpoints, clients pointing at them, and how to stop them. */
export interface Emulators<S extends EmulatedService = EmulatedService> {
  /** Endpoint URL of each started service (`sqs` and `s3` share one). */
  readonly endpoints: Readonly<Record<S, string>>;
  /** Config for {@link createAwsClients}: the region, fake credentials and the endpoints above. */
  readonly clientConfig: AwsClientConfig;
  /**
   * Clients of the started services. A client of a service not started keeps the SDK's AWS endpoint
   * (and fake credentials), so it fails: start every service you use.
   */
  readonly clients: AwsClients;
  /** Milliseconds each emulator took to start answering (`sqs` and `s3`: the same server). */
  readonly startupMs: Readonly<Record<S, number>>;
  /** Process ids of emulators running as child processes (DynamoDB Local's JVM), to check none outlives `stop()`. */
  readonly childProcessIds: readonly number[];
  /** Destroys the clients and stops every emulator (ends the DynamoDB Local JVM). Safe to call twice. */
  stop(): Promise<void>;
}

type Server = 'kinesalite' | 'fauxqs' | 'dynamodb-local';

const SERVER_OF: Readonly<Record<EmulatedService, Server>> = { kinesis: 'kinesalite', sqs: 'fauxqs', s3: 'fauxqs', dynamodb: 'dynamodb-local' };

async function startServer(server: Server, options: StartEmulatorsOptions<EmulatedService>): Promise<{ emulator: RunningEmulator; ms: number }> {
  const started = performance.now();
  const emulator = await (server === 'kinesalite'
    ? startKinesalite()
    : server === 'fauxqs'
      ? startFauxqsEmulator({ defaultRegion: EMULATOR_REGION })
      : startDynamoDbLocal(options.dynamodb));
  return { emulator, ms: Math.round(performance.now() - started) };
}

/**
 * Starts the requested emulators in parallel (all of them by default) and resolves once each one
 * answers. If one fails, the others are stopped and its error is thrown: {@link EmulatorStartError},
 * or {@link JavaNotFoundError} for DynamoDB Local without Java.
 */
export async function startEmulators<S extends EmulatedService = EmulatedService>(options: StartEmulatorsOptions<S> = {}): Promise<Emulators<S>> {
  const services = [...new Set(options.services ?? (EMULATED_SERVICES as readonly S[]))];
  const servers = [...new Set(services.map((service) => SERVER_OF[service]))];
  const outcomes = await Promise.allSettled(servers.map((server) => startServer(server, options)));

  const running = new Map<Server, { emulator: RunningEmulator; ms: number }>();
  const failures: unknown[] = [];
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') running.set(servers[i]!, outcome.value);
    else failures.push(outcome.reason);
  });
  const stopAll = async (): Promise<void> => {
    const stopped = await Promise.allSettled([...running.values()].map(({ emulator }) => emulator.stop()));
    const stopFailures = stopped.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    if (stopFailures.length > 0) throw new EmulatorStopError(stopFailures);
  };
  if (failures.length > 0) {
    await stopAll().catch(() => undefined);
    throw failures[0];
  }

  const endpoints = {} as Record<S, string>;
  const startupMs = {} as Record<S, number>;
  for (const service of services) {
    const { emulator, ms } = running.get(SERVER_OF[service])!;
    endpoints[service] = emulator.endpoint;
    startupMs[service] = ms;
  }
  const clientConfig: AwsClientConfig = { region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS, endpoints };
  const clients = createAwsClients(clientConfig);
  // Remember which clients were made, so stop() destroys those (calling a getter would make one).
  const made = new Set<keyof AwsClients>();
  const track = <K extends keyof AwsClients>(name: K): AwsClients[K] =>
    (() => {
      made.add(name);
      return clients[name]();
    }) as AwsClients[K];
  const tracked: AwsClients = {
    firehose: track('firehose'),
    kinesis: track('kinesis'),
    sqs: track('sqs'),
    s3: track('s3'),
    dynamodb: track('dynamodb'),
  };

  let stopping: Promise<void> | undefined;
  return {
    endpoints,
    clientConfig,
    clients: tracked,
    startupMs,
    childProcessIds: [...running.values()].flatMap(({ emulator }) => (emulator.pid === undefined ? [] : [emulator.pid])),
    stop: () =>
      (stopping ??= (async () => {
        for (const name of made) clients[name]().destroy();
        await stopAll();
      })()),
  };
}

/**
 * The one place AWS clients are made. On AWS the SDK's defaults apply (region and credentials
 * from the Lambda environment); locally, endpoints point at the embedded emulators. Modules get
 * clients injected from here and never build their own.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Endpoint overrides per service; a service without one uses the SDK's AWS endpoint. */
export interface AwsEndpoints {
  readonly firehose?: string;
  readonly kinesis?: string;
  readonly s3?: string;
  readonly sqs?: string;
  readonly dynamodb?: string;
}

/** How {@link createAwsClients} configures every client it makes. */
export interface AwsClientConfig {
  readonly region?: string;
  /** Override per service, e.g. `http://127.0.0.1:4567` for a local emulator. */
  readonly endpoints?: AwsEndpoints;
  /** Static credentials, for local emulators (which accept any). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** Lazily created clients: each getter makes its client on first call and returns the same one after. */
export interface AwsClients {
  firehose(): FirehoseClient;
  kinesis(): KinesisClient;
  /** Path-style addressing (`http://host/bucket/key`) when an s3 endpoint is given. */
  s3(): S3Client;
  sqs(): SQSClient;
  dynamodb(): DynamoDBClient;
}

/** One client per endpoint: made on first use, then shared. */
function memoByEndpoint<T>(endpointOf: () => string | undefined, make: (endpoint: string | undefined) => T): () => T {
  const made = new Map<string | undefined, T>();
  return () => {
    const endpoint = endpointOf();
    let client = made.get(endpoint);
    if (client === undefined) made.set(endpoint, (client = make(endpoint)));
    return client;
  };
}

/**
 * Endpoints from the SDK's standard variables (`AWS_ENDPOINT_URL_<SERVICE>`, then
 * `AWS_ENDPOINT_URL`), which the local runtime sets for the handlers it runs. Read here so that
 * the settings an emulator needs (path-style S3, HTTP/1.1 Kinesis) come with them; on AWS none
 * is set and the SDK's own endpoints apply.
 */
export function endpointsFromEnvironment(env: NodeJS.ProcessEnv = process.env): AwsEndpoints {
  const of = (service: string): string | undefined => env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  const endpoints = { firehose: of('FIREHOSE'), kinesis: of('KINESIS'), s3: of('S3'), sqs: of('SQS'), dynamodb: of('DYNAMODB') };
  return Object.fromEntries(Object.entries(endpoints).filter(([, url]) => url));
}

/**
 * Lazily created, shared clients: a Lambda container reuses its connections across invocations.
 * Without `config.endpoints`, each getter follows the endpoint variables as they are when it is
 * called (on AWS they never change; the local runtime sets them for the emulators it started).
 */
export function createAwsClients(config: AwsClientConfig = {}): AwsClients {
  const base = {
    ...(config.region ? { region: config.region } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
  };
  const endpointOf = (service: keyof AwsEndpoints) => (): string | undefined => (config.endpoints ?? endpointsFromEnvironment())[service];
  const endpoint = (url: string | undefined): { endpoint?: string } => (url ? { endpoint: url } : {});
  return {
    firehose: memoByEndpoint(endpointOf('firehose'), (url) => new FirehoseClient({ ...base, ...endpoint(url) })),
    // Local Kinesis emulators speak HTTP/1.1 only (else the SDK fails with "Protocol error").
    kinesis: memoByEndpoint(endpointOf('kinesis'), (url) => new KinesisClient({
      ...base,
      ...(url ? { endpoint: url, requestHandler: new NodeHttpHandler() } : {}),
    })),
    // Local S3 emulators serve buckets by path, not by virtual host (`bucket.127.0.0.1` does not resolve).
    s3: memoByEndpoint(endpointOf('s3'), (url) => new S3Client({ ...base, ...(url ? { endpoint: url, forcePathStyle: true } : {}) })),
    sqs: memoByEndpoint(endpointOf('sqs'), (url) => new SQSClient({ ...base, ...endpoint(url) })),
    dynamodb: memoByEndpoint(endpointOf('dynamodb'), (url) => new DynamoDBClient({ ...base, ...endpoint(url) })),
  };
}

/**
 * The one place AWS clients are made. On AWS the SDK's defaults apply (region and credentials
 * from the Lambda environment); locally, endpoints point at the embedded emulators. Modules get
 * clients injected from here and never build their own.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface AwsEndpoints {
  readonly firehose?: string;
  readonly kinesis?: string;
}

export interface AwsClientConfig {
  readonly region?: string;
  /** Override per service, e.g. `http://127.0.0.1:4567` for a local emulator. */
  readonly endpoints?: AwsEndpoints;
  /** Static credentials, for local emulators (which accept any). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface AwsClients {
  firehose(): FirehoseClient;
  kinesis(): KinesisClient;
}

function memo<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/** Lazily created, shared clients: a Lambda container reuses its connections across invocations. */
export function createAwsClients(config: AwsClientConfig = {}): AwsClients {
  const base = {
    ...(config.region ? { region: config.region } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
  };
  const endpoints = config.endpoints ?? {};
  return {
    firehose: memo(() => new FirehoseClient({ ...base, ...(endpoints.firehose ? { endpoint: endpoints.firehose } : {}) })),
    // Local Kinesis emulators speak HTTP/1.1 only (else the SDK fails with "Protocol error").
    kinesis: memo(() => new KinesisClient({
      ...base,
      ...(endpoints.kinesis ? { endpoint: endpoints.kinesis, requestHandler: new NodeHttpHandler() } : {}),
    })),
  };
}

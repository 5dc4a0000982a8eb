/**
 * The OpenSearch client the sinks are given: `@opensearch-project/opensearch`, signing every
 * request with SigV4 (Amazon OpenSearch Service with fine-grained access control mapped to the
 * function's IAM role, or OpenSearch Serverless), or unsigned for a local server. The caller
 * passes the endpoint: nothing here knows where a domain lives.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';

/** AWS credentials, as the SDK's providers return them. */
export interface OpenSearchCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When temporary credentials expire; the signer fetches new ones shortly before. */
  readonly expiration?: Date;
}

export type OpenSearchCredentialsProvider = () => Promise<OpenSearchCredentials>;

export interface OpenSearchClientConfig {
  /**
   * The domain endpoint, e.g. `https://search-logs-abc123.eu-west-1.es.amazonaws.com`. Without a
   * scheme (as CloudFormation's `DomainEndpoint` gives it) `https://` is assumed.
   */
  readonly endpoint: string;
  /** The region the domain is in; part of the SigV4 scope. */
  readonly region: string;
  /** `es` for Amazon OpenSearch Service domains (default), `aoss` for OpenSearch Serverless collections. */
  readonly service?: 'es' | 'aoss';
  /** `sigv4` (default) signs every request; `none` sends them unsigned (a local server, tests). */
  readonly signing?: 'sigv4' | 'none';
  /** Static credentials or a provider; by default the SDK's Node provider chain (on Lambda: the function's role). */
  readonly credentials?: OpenSearchCredentials | OpenSearchCredentialsProvider;
  /** Per-request timeout in ms (default {@link DEFAULT_REQUEST_TIMEOUT_MS}). */
  readonly requestTimeoutMs?: number;
  /**
   * Retries the client makes by itself, immediately and without backoff, on connection errors
   * and 502/503/504 (default 0: the bulk sink retries with full-jitter backoff and counts them).
   */
  readonly maxRetries?: number;
  /**
   * Gzip request bodies (`Content-Encoding: gzip`; the SigV4 payload hash then covers the
   * compressed bytes). Off by default: see the note in {@link createOpenSearchClient}.
   */
  readonly compression?: boolean;
}

/**
 * 30 s, the client's own default: a bulk request of a few MiB on a busy domain can take seconds,
 * and a timeout shorter than a slow success only resends work. Keep it well below the function
 * timeout, so that a stuck request becomes a retry (or a transient failure) rather than a
 * timed-out invocation.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The configuration is unusable (e.g. an endpoint that is not a URL); thrown at creation. */
export class OpenSearchConfigError extends Error {
  override readonly name = 'OpenSearchConfigError';
}

function endpointUrl(endpoint: string): string {
  const withScheme = /^https?:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`;
  try {
    return new URL(withScheme).toString();
  } catch {
    throw new OpenSearchConfigError(`OpenSearch endpoint is not a URL: ${JSON.stringify(endpoint)}`);
  }
}

function credentialsProviderOf(credentials: OpenSearchClientConfig['credentials']): OpenSearchCredentialsProvider {
  if (typeof credentials === 'function') return credentials;
  if (credentials !== undefined) return () => Promise.resolve(credentials);
  // Memoised by the SDK: resolved on the first request, refreshed before temporary credentials expire.
  return defaultProvider();
}

/** A client for one OpenSearch endpoint. Create it once per container and reuse it. */
export function createOpenSearchClient(config: OpenSearchClientConfig): Client {
  if (!config.region && config.signing !== 'none') throw new OpenSearchConfigError('SigV4 signing needs a region');
  const signer = config.signing === 'none'
    ? {}
    : AwsSigv4Signer({ region: config.region, service: config.service ?? 'es', getCredentials: credentialsProviderOf(config.credentials) });
  return new Client({
    ...signer,
    node: endpointUrl(config.endpoint),
    requestTimeout: config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    maxRetries: config.maxRetries ?? 0,
    // Keep-alive (the client's default, stated here because it matters): a Lambda container
    // reuses its TLS connection across invocations instead of a handshake per batch. A socket the
    // domain closed while the container was frozen fails with a connection error, which the sink
    // retries. One invocation sends one bulk request at a time, so a few sockets are plenty.
    agent: { keepAlive: true, maxSockets: 16, maxFreeSockets: 4 },
    // Request compression off unless asked for: gzip trades the function's CPU time (billed, and
    // a fraction of a vCPU at small memory sizes) for in-region bandwidth, which is cheap. The
    // sink sizes requests by their uncompressed bytes, so they fit the domain's limit either way.
    // Worth turning on for a domain reached over a slow link. Responses are not compressed
    // either: a bulk answer is small next to its request.
    ...(config.compression === true ? { compression: 'gzip' as const } : {}),
    // One endpoint behind a load balancer: nothing to sniff, and no resurrection pings (`HEAD /`)
    // after a 502/503/504 marks it dead (the only node is used dead or alive anyway).
    sniffOnStart: false,
    sniffInterval: false,
    resurrectStrategy: 'none',
  });
}

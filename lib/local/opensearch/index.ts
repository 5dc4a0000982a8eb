/**
 * A local OpenSearch: an in-process HTTP server speaking the OpenSearch 2.x REST API the
 * pipeline uses (documents, `_bulk`, indices, mappings, composable templates, search and count
 * with near-real-time refresh semantics), faithful to OpenSearch's response shapes and error
 * types, with fault injection and read-only inspection for tests. The official
 * `@opensearch-project/opensearch` client works against it unmodified, signed with
 * `AwsSigv4Signer` or not. Everything is in memory: every start is empty.
 *
 * @example
 * const opensearch = await startOpenSearchEmulator({ refreshIntervalMs: -1 });
 * try {
 *   const client = new Client({ node: opensearch.endpoint });
 *   opensearch.faults.failBulkItems({ count: 2 }); // the next two items: 429
 *   await client.bulk({ body: lines, refresh: true });
 *   expect(opensearch.documents('telemetry-2024.01.01')).toHaveLength(n);
 * } finally {
 *   await opensearch.stop();
 * }
 */
import { Cluster } from './cluster';
import { OpenSearchEmulatorError } from './errors';
import { FaultRegistry, type BulkItemFaultOptions, type FaultHandle, type FaultKind, type MappingFaultOptions, type RequestFaultOptions } from './faults';
import { startHttpServer, type RecordedRequest, type RequestCounters } from './http-server';
import { cloneJson, type JsonObject } from './json';
import { rootMappingToJson } from './mapping';
import type { SignatureRequirement } from './sigv4';

export { EMULATED_VERSION } from './index-routes';
export { EMULATOR_PREFIX } from './emulator-routes';
export { InvalidFaultError, OpenSearchEmulatorError } from './errors';
export type { BulkAction, BulkItemFaultOptions, BulkItemInfo, FaultHandle, FaultKind, ItemMatch, MappingFaultOptions, RequestFaultOptions, RequestInfo, RequestMatch } from './faults';
export type { RecordedRequest, RequestCounters } from './http-server';
export type { JsonObject, JsonValue } from './json';
export type { SignatureCredentials, SignatureRequirement } from './sigv4';

/** `http.max_content_length`'s default: 100 MiB. */
export const DEFAULT_MAX_CONTENT_LENGTH_BYTES = 100 * 1024 * 1024;

/** Options of {@link startOpenSearchEmulator}. */
export interface OpenSearchEmulatorOptions {
  /** The port to listen on; 0 (default) takes a free one. */
  readonly port?: number;
  /** The address to listen on (default `127.0.0.1`). */
  readonly host?: string;
  /**
   * How often indices refresh, in ms, like `index.refresh_interval` (default 1000). `-1`: only
   * explicit refreshes (`_refresh`, `?refresh=true`, {@link LocalOpenSearch.refresh}), which makes
   * near-real-time behaviour deterministic in tests. An index's own `refresh_interval` wins.
   */
  readonly refreshIntervalMs?: number;
  /**
   * `true`: refuse (403) requests without an `AWS4-HMAC-SHA256` Authorization header, and check
   * the signed request's shape and payload hash, as Amazon OpenSearch Service does for a domain
   * that only admits IAM principals. An object also verifies the signature with its credentials.
   */
  readonly requireSignedRequests?: boolean | SignatureRequirement;
  /** `http.max_content_length`: larger request bodies get 413 (default 100 MiB). */
  readonly maxContentLengthBytes?: number;
  /** `action.auto_create_index`: whether writing to a missing index creates it (default true). */
  readonly autoCreateIndex?: boolean;
  /** The `cluster_name` reported by `GET /` (default `shardline-local`). */
  readonly clusterName?: string;
}

/** A document as {@link LocalOpenSearch.documents} shows it (a copy). */
export interface DocumentSnapshot {
  readonly _id: string;
  readonly _version: number;
  readonly _seq_no: number;
  readonly _primary_term: number;
  readonly _source: JsonObject;
}

/** Fault injection (also over HTTP: `POST /_emulator/faults`, see the README). */
export interface FaultInjector {
  /** The next `count` matching `_bulk` items fail (default: one item, 429 `es_rejected_execution_exception`). */
  failBulkItems(options?: BulkItemFaultOptions): FaultHandle;
  /** The next `count` matching requests fail whole with `status`. */
  failRequests(options: RequestFaultOptions): FaultHandle;
  /** Matching documents fail with `mapper_parsing_exception` (every one until cleared, by default). */
  failMapping(options?: MappingFaultOptions): FaultHandle;
  /** The faults still armed. */
  list(): readonly { readonly id: string; readonly kind: FaultKind; readonly remaining: number; readonly fired: number }[];
  /** Disarms every fault. */
  clear(): void;
}

/** A running local OpenSearch. */
export interface LocalOpenSearch {
  /** Base URL for a client's `node`, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  readonly port: number;
  readonly faults: FaultInjector;
  /** Counters of the requests served so far (a snapshot; the private `/_emulator` endpoints are not counted). */
  readonly requests: RequestCounters;
  /** The last requests served (up to 1,000), oldest first. */
  requestLog(): readonly RecordedRequest[];
  /** Index names, in creation order. */
  indices(): string[];
  /**
   * The documents of an index as a realtime GET sees them (unrefreshed writes included), in write
   * order; with `refreshed: true`, what a search sees. Copies: changing them changes nothing.
   * Throws `OpenSearchEmulatorError` for a missing index.
   */
  documents(index: string, options?: { readonly refreshed?: boolean }): DocumentSnapshot[];
  /** The mapping of an index as `GET /{index}/_mapping` shows it, or `undefined` for a missing index. */
  mapping(index: string): JsonObject | undefined;
  /** Refreshes one index, or all. */
  refresh(index?: string): void;
  /** Deletes every index and template, disarms the faults and zeroes the counters. */
  reset(): void;
  /** Stops the server (open connections are closed). Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts a local OpenSearch on a loopback port; resolves once it listens. */
export async function startOpenSearchEmulator(options: OpenSearchEmulatorOptions = {}): Promise<LocalOpenSearch> {
  const refreshIntervalMs = options.refreshIntervalMs ?? 1000;
  if (!Number.isFinite(refreshIntervalMs) || (refreshIntervalMs < 0 && refreshIntervalMs !== -1)) {
    throw new OpenSearchEmulatorError(`refreshIntervalMs must be -1 or a non-negative number, got ${refreshIntervalMs}`);
  }
  const cluster = new Cluster({ refreshIntervalMs, autoCreateIndex: options.autoCreateIndex ?? true });
  const faults = new FaultRegistry();
  const server = await startHttpServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    cluster,
    faults,
    requireSignedRequests: options.requireSignedRequests ?? false,
    maxContentLengthBytes: options.maxContentLengthBytes ?? DEFAULT_MAX_CONTENT_LENGTH_BYTES,
    clusterName: options.clusterName ?? 'shardline-local',
  });
  let stopping: Promise<void> | undefined;
  return {
    endpoint: server.endpoint,
    port: server.port,
    faults: {
      failBulkItems: (o) => faults.failBulkItems(o),
      failRequests: (o) => faults.failRequests(o),
      failMapping: (o) => faults.failMapping(o),
      list: () => faults.list(),
      clear: () => faults.clear(),
    },
    get requests() {
      return server.counters();
    },
    requestLog: () => server.log(),
    indices: () => cluster.names(),
    documents: (name, documentOptions = {}) => {
      const index = cluster.index(name);
      if (index === undefined) throw new OpenSearchEmulatorError(`no such index [${name}]`);
      const documents = documentOptions.refreshed === true ? [...index.searchableDocuments()] : index.liveDocuments();
      return documents.map((d) => ({ _id: d.id, _version: d.version, _seq_no: d.seqNo, _primary_term: d.primaryTerm, _source: cloneJson(d.source) }));
    },
    mapping: (name) => {
      const index = cluster.index(name);
      return index === undefined ? undefined : rootMappingToJson(index.mapping);
    },
    refresh: (name) => {
      for (const index of name === undefined ? cluster.names().map((n) => cluster.index(n)!) : [cluster.index(name)]) {
        if (index === undefined) throw new OpenSearchEmulatorError(`no such index [${name}]`);
        index.refresh();
      }
    },
    reset: () => {
      cluster.reset();
      faults.clear();
      server.resetStats();
    },
    stop: () =>
      (stopping ??= (async () => {
        cluster.close();
        await server.close();
      })()),
  };
}

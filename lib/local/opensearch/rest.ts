/**
 * The REST layer: requests and responses as handlers see them, the route table's matching rules
 * (OpenSearch's `RestController`: explicit path segments before `{placeholders}`; a path whose
 * routes all lack the method is 405 with `Allow`; no route at all is 400 `no handler found`),
 * and the checks every request goes through (unrecognized query parameters, body parsing).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Cluster } from './cluster';
import { illegalArgument, OpenSearchError, RestLayerError } from './errors';
import type { FaultRegistry } from './faults';
import type { IndexStore } from './index-store';
import type { JsonValue, Serializable } from './json';

export interface RestRequest {
  readonly method: string;
  /** The path without the query string, still percent-encoded. */
  readonly rawPath: string;
  readonly pathParams: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface RestResponse {
  readonly status: number;
  /** A JSON body (absent: none, as for HEAD). */
  readonly body?: Serializable;
  /** A plain-text body (`_cat` APIs without `format=json`). */
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What handlers work with. */
export interface HandlerEnv {
  readonly cluster: Cluster;
  readonly faults: FaultRegistry;
  readonly clusterName: string;
  readonly clusterUuid: string;
  /** Resets the counters and the log (for `POST /_emulator/reset`). */
  readonly resetRequestStats: () => void;
  readonly requestStats: () => Serializable;
}

export type Handler = (request: RestRequest, env: HandlerEnv) => RestResponse | Promise<RestResponse>;

export interface Route {
  readonly methods: readonly string[];
  /** e.g. `/{index}/_doc/{id}`. */
  readonly path: string;
  /** The operation as the client's API names it (`bulk`, `indices.create`…), for counters and faults. */
  readonly operation: string;
  /** Query parameters the endpoint accepts, besides the global ones. */
  readonly params: readonly string[];
  readonly handle: Handler;
}

/** Parameters every endpoint accepts. */
const GLOBAL_PARAMS = new Set(['pretty', 'human', 'error_trace', 'filter_path', 'source', 'source_content_type']);

interface Compiled {
  readonly route: Route;
  readonly segments: readonly string[];
}

/** The route table, matched as OpenSearch's path trie does. */
export class Router {
  private readonly routes: Compiled[];

  constructor(routes: readonly Route[]) {
    this.routes = routes.map((route) => ({ route, segments: route.path.split('/').filter((s) => s !== '') }));
  }

  private candidates(rawPath: string): { route: Route; params: Record<string, string>; rank: string }[] {
    const parts = rawPath.split('/').filter((s) => s !== '');
    const found: { route: Route; params: Record<string, string>; rank: string }[] = [];
    for (const { route, segments } of this.routes) {
      if (segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let rank = '';
      let ok = true;
      for (let i = 0; i < segments.length && ok; i++) {
        const segment = segments[i]!;
        const part = parts[i]!;
        if (segment.startsWith('{')) {
          params[segment.slice(1, -1)] = decodeURIComponent(part);
          rank += '1';
        } else {
          ok = segment === part;
          rank += '0';
        }
      }
      if (ok) found.push({ route, params, rank });
    }
    // Explicit segments win over placeholders, position by position.
    return found.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  }

  /** The route and path parameters for a request, or the REST layer's refusal. */
  match(method: string, rawPath: string, uriForMessages: string): { route: Route; params: Record<string, string> } {
    let candidates: ReturnType<Router['candidates']>;
    try {
      candidates = this.candidates(rawPath);
    } catch {
      throw new RestLayerError(400, 'invalid uri has been requested', {}, false);
    }
    const valid = new Set(candidates.flatMap((c) => c.route.methods));
    for (const candidate of candidates) {
      if (candidate.route.methods.includes(method)) return { route: candidate.route, params: candidate.params };
      if (!valid.has(method) && valid.size > 0) {
        const allowed = [...valid];
        if (method === 'OPTIONS') throw new RestLayerError(200, '', { Allow: allowed.join(',') });
        throw new RestLayerError(405, `Incorrect HTTP method for uri [${uriForMessages}] and method [${method}], allowed: [${allowed.join(', ')}]`, { Allow: allowed.join(',') });
      }
    }
    throw new RestLayerError(400, `no handler found for uri [${rawPath}] and method [${method}]`, {}, false);
  }
}

/** Refuses query parameters the endpoint does not know (OpenSearch: `contains unrecognized parameter`). */
export function checkParams(route: Route, query: URLSearchParams, rawPath: string): void {
  if (route.params.includes('*')) return;
  const unknown = [...new Set(query.keys())].filter((name) => !GLOBAL_PARAMS.has(name) && !route.params.includes(name));
  if (unknown.length === 0) return;
  const list = unknown.map((name) => `[${name}]`).join(', ');
  throw illegalArgument(`request [${rawPath}] contains unrecognized parameter${unknown.length > 1 ? 's' : ''}: ${list}`);
}

/** The body as JSON; `undefined` when empty (or an error when `required`). */
export function jsonBody(request: RestRequest, required = false): JsonValue | undefined {
  if (request.body.length === 0) {
    if (required) throw new OpenSearchError(400, 'parse_exception', 'request body is required');
    return undefined;
  }
  try {
    return JSON.parse(request.body.toString('utf8')) as JsonValue;
  } catch (error) {
    throw new OpenSearchError(400, 'json_parse_exception', (error as Error).message, { java: true });
  }
}

export type RefreshPolicy = 'none' | 'immediate' | 'wait_for';

/** The `refresh` parameter of write APIs. */
export function refreshPolicy(query: URLSearchParams): RefreshPolicy {
  const value = query.get('refresh');
  if (value === null || value === 'false') return 'none';
  if (value === '' || value === 'true') return 'immediate';
  if (value === 'wait_for') return 'wait_for';
  throw illegalArgument(`Unknown value for refresh: [${value}].`);
}

/** Applies a refresh policy after writes to `indices`. */
export async function applyRefresh(policy: RefreshPolicy, indices: Iterable<IndexStore>): Promise<void> {
  if (policy === 'immediate') for (const index of indices) index.refresh();
  else if (policy === 'wait_for') await Promise.all([...indices].map((index) => index.waitForRefresh()));
}

/** A boolean query parameter (`?flag`, `?flag=true`). */
export const booleanParam = (query: URLSearchParams, name: string, fallback: boolean): boolean => {
  const value = query.get(name);
  if (value === null) return fallback;
  if (value === '' || value === 'true') return true;
  if (value === 'false') return false;
  throw illegalArgument(`Failed to parse value [${value}] as only [true] or [false] are allowed.`);
};

/** The index-expression options of read APIs. */
export const resolveOptionsOf = (query: URLSearchParams, resourceType: 'index_or_alias' | 'index_expression') => ({
  ignoreUnavailable: booleanParam(query, 'ignore_unavailable', false),
  allowNoIndices: booleanParam(query, 'allow_no_indices', true),
  resourceType,
});

export const json = (status: number, body: Serializable, headers?: Record<string, string>): RestResponse => ({ status, body, headers });

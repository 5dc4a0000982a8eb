/**
 * The HTTP server: reads each request (body size limit, gzip/deflate bodies), checks its
 * signature when required, fires request faults, routes it, checks its content type and query
 * parameters, runs the handler and writes the answer (`pretty`, `filter_path`), counting
 * everything for the inspection helpers.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';
import type { Cluster } from './cluster';
import { DOCUMENT_ROUTES } from './document-routes';
import { EMULATOR_PREFIX, EMULATOR_ROUTES } from './emulator-routes';
import { FrontEndError, OpenSearchEmulatorError, OpenSearchError, RestLayerError } from './errors';
import type { FaultRegistry } from './faults';
import { INDEX_ROUTES } from './index-routes';
import { materialize, stringifyJson, type Serializable } from './json';
import { applyFilterPath } from './response-filter';
import { checkParams, Router, type HandlerEnv, type RestRequest, type RestResponse, type Route } from './rest';
import { checkSignature, type SignatureRequirement } from './sigv4';

/** One request as the emulator recorded it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** The operation as the client's API names it (`bulk`, `search`…), `unknown` when no route matched. */
  readonly operation: string;
  readonly status: number;
  /** Whether it carried an AWS SigV4 `Authorization` header. */
  readonly signed: boolean;
  /** Whether a request fault answered it. */
  readonly faulted: boolean;
}

/** Counters of the requests served (the private `/_emulator` endpoints excluded). */
export interface RequestCounters {
  readonly total: number;
  readonly byOperation: Readonly<Record<string, number>>;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly signed: number;
  readonly unsigned: number;
  /** Requests answered by a request fault. */
  readonly faulted: number;
  /** Bulk items failed by a bulk item fault or a mapping fault. */
  readonly faultsFired: number;
}

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly cluster: Cluster;
  readonly faults: FaultRegistry;
  readonly requireSignedRequests: boolean | SignatureRequirement;
  readonly maxContentLengthBytes: number;
  readonly clusterName: string;
  /** How many requests {@link RunningHttpServer.log} keeps (oldest dropped first). */
  readonly logSize?: number;
}

export interface RunningHttpServer {
  readonly endpoint: string;
  readonly port: number;
  counters(): RequestCounters;
  log(): readonly RecordedRequest[];
  resetStats(): void;
  close(): Promise<void>;
}

const MEDIA_TYPES = ['application/json', 'application/x-ndjson', 'application/vnd.opensearch+json', 'application/vnd.opensearch+x-ndjson'];

class TooLarge extends Error {
  override readonly name = 'TooLarge';
}

/** Reads the body, refusing more than `limit` bytes (after reading what was sent, so the client sees the 413). */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? '0');
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = declared > limit;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) tooLarge = true;
    if (!tooLarge) chunks.push(buffer);
  }
  if (tooLarge) throw new TooLarge();
  const body = Buffer.concat(chunks);
  const encoding = String(request.headers['content-encoding'] ?? '').toLowerCase();
  if (body.length === 0 || encoding === '' || encoding === 'identity') return body;
  try {
    if (encoding === 'gzip' || encoding === 'x-gzip') return gunzipSync(body);
    if (encoding === 'deflate') return inflateSync(body);
  } catch (error) {
    throw new OpenSearchError(400, 'illegal_argument_exception', `failed to decompress the request body: ${(error as Error).message}`, { java: true });
  }
  throw new RestLayerError(415, `Content-Encoding [${encoding}] is not supported`);
}

function checkContentType(request: IncomingMessage, body: Buffer): void {
  if (body.length === 0) return;
  const header = request.headers['content-type'];
  if (header === undefined) throw new RestLayerError(406, 'Content-Type header is missing');
  const mediaType = header.split(';')[0]!.trim().toLowerCase();
  if (!MEDIA_TYPES.includes(mediaType)) throw new RestLayerError(406, `Content-Type header [${header}] is not supported`);
}

function errorResponse(error: unknown): RestResponse {
  if (error instanceof OpenSearchError) return { status: error.status, body: error.toBody() };
  if (error instanceof RestLayerError) return error.status === 200 ? { status: 200, headers: error.headers, text: '' } : { status: error.status, body: error.toBody(), headers: error.headers };
  if (error instanceof FrontEndError) return { status: error.status, body: error.body };
  const reason = error instanceof Error ? error.message : String(error);
  return { status: 500, body: { error: { root_cause: [{ type: 'exception', reason }], type: 'exception', reason }, status: 500 } };
}

function writeResponse(response: ServerResponse, method: string, query: URLSearchParams, answer: RestResponse): void {
  let text = answer.text;
  let contentType = 'application/json; charset=UTF-8';
  if (answer.body !== undefined && text === undefined) {
    const filterPath = query.get('filter_path');
    const pretty = query.has('pretty') && query.get('pretty') !== 'false';
    const body: Serializable = filterPath === null ? answer.body : (applyFilterPath(materialize(answer.body), filterPath));
    text = stringifyJson(body, pretty ? 2 : 0) + (pretty ? '\n' : '');
  } else if (text !== undefined) {
    contentType = answer.headers?.['content-type'] ?? 'text/plain; charset=UTF-8';
  }
  const payload = method === 'HEAD' || text === undefined ? Buffer.alloc(0) : Buffer.from(text, 'utf8');
  response.writeHead(answer.status, {
    ...answer.headers,
    ...(text !== undefined ? { 'content-type': contentType } : {}),
    'content-length': String(method === 'HEAD' ? 0 : payload.length),
  });
  response.end(payload);
}

/** Starts the server; resolves once it listens. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const router = new Router([...DOCUMENT_ROUTES, ...INDEX_ROUTES]);
  const privateRouter = new Router(EMULATOR_ROUTES);
  const logSize = options.logSize ?? 1000;
  let recorded: RecordedRequest[] = [];
  let counters = { total: 0, byOperation: {} as Record<string, number>, byStatus: {} as Record<string, number>, signed: 0, unsigned: 0, faulted: 0 };
  const faultsFiredAtReset = { value: 0 };

  const snapshot = (): RequestCounters => ({
    total: counters.total,
    byOperation: { ...counters.byOperation },
    byStatus: { ...counters.byStatus },
    signed: counters.signed,
    unsigned: counters.unsigned,
    faulted: counters.faulted,
    faultsFired: options.faults.firedTotal - faultsFiredAtReset.value,
  });
  const resetStats = (): void => {
    recorded = [];
    counters = { total: 0, byOperation: {}, byStatus: {}, signed: 0, unsigned: 0, faulted: 0 };
    faultsFiredAtReset.value = options.faults.firedTotal;
  };
  const env: HandlerEnv = {
    cluster: options.cluster,
    faults: options.faults,
    clusterName: options.clusterName,
    clusterUuid: randomUUID().replace(/-/g, '').slice(0, 22),
    resetRequestStats: resetStats,
    requestStats: () => {
      const { byOperation, byStatus, ...totals } = snapshot();
      return { ...totals, byOperation: { ...byOperation }, byStatus: { ...byStatus }, recent: recorded.slice(-100).map((r) => ({ ...r })) };
    },
  };

  const record = (entry: RecordedRequest): void => {
    counters.total++;
    counters.byOperation[entry.operation] = (counters.byOperation[entry.operation] ?? 0) + 1;
    counters.byStatus[String(entry.status)] = (counters.byStatus[String(entry.status)] ?? 0) + 1;
    if (entry.signed) counters.signed++;
    else counters.unsigned++;
    if (entry.faulted) counters.faulted++;
    recorded.push(entry);
    if (recorded.length > logSize) recorded.splice(0, recorded.length - logSize);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const method = (request.method ?? 'GET').toUpperCase();
    const rawUrl = request.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const rawPath = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = new URLSearchParams(queryAt < 0 ? '' : rawUrl.slice(queryAt + 1));
    const isPrivate = rawPath === EMULATOR_PREFIX || rawPath.startsWith(`${EMULATOR_PREFIX}/`);
    const signed = String(request.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ');
    let operation = 'unknown';
    let faulted = false;
    let answer: RestResponse;
    try {
      let body: Buffer;
      try {
        body = await readBody(request, options.maxContentLengthBytes);
      } catch (error) {
        if (error instanceof TooLarge) throw new FrontEndError(413, { Message: `Request size exceeded ${options.maxContentLengthBytes} bytes` });
        throw error;
      }
      let matched: { route: Route; params: Record<string, string> } | undefined;
      let routingError: unknown;
      try {
        matched = (isPrivate ? privateRouter : router).match(method, rawPath, rawUrl);
        operation = matched.route.operation;
      } catch (error) {
        routingError = error;
      }
      if (!isPrivate) {
        if (options.requireSignedRequests !== false) {
          checkSignature({ method, rawUrl, headers: request.headers, body }, options.requireSignedRequests === true ? {} : options.requireSignedRequests);
        }
        const fault = options.faults.requestFault({ method, path: rawPath, operation });
        if (fault !== undefined) {
          faulted = true;
          throw fault;
        }
      }
      if (matched === undefined) throw routingError;
      checkContentType(request, body);
      checkParams(matched.route, query, rawPath);
      const restRequest: RestRequest = { method, rawPath, pathParams: matched.params, query, headers: request.headers, body };
      answer = await matched.route.handle(restRequest, env);
    } catch (error) {
      answer = errorResponse(error);
    }
    if (!isPrivate) record({ method, path: rawPath, operation, status: answer.status, signed, faulted });
    if (answer.status === 413) answer = { ...answer, headers: { ...answer.headers, connection: 'close' } };
    writeResponse(response, method, query, answer);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) writeResponse(response, 'GET', new URLSearchParams(), errorResponse(error));
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new OpenSearchEmulatorError(`cannot listen on ${options.host}:${options.port}: ${error.message}`, { cause: error })));
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${host}:${port}`,
    port,
    counters: snapshot,
    log: () => [...recorded],
    resetStats,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      })),
  };
}

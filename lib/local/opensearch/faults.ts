/**
 * Fault injection: make the next bulk items, whole requests or documents fail the way a busy or
 * broken OpenSearch domain fails them, so the pipeline's retry and failure paths can be driven.
 *
 * - bulk item faults: the next N matching `_bulk` items fail with 429
 *   `es_rejected_execution_exception` (or another status), the rest of the request succeeds;
 * - request faults: the next N matching HTTP requests fail whole with a status (429, 503…);
 * - mapping faults: matching documents fail with `mapper_parsing_exception`, on top of the
 *   mapping errors their values cause naturally.
 *
 * Each fault is consumed as it fires; `count: Infinity` (or `-1` over HTTP) keeps it until cleared.
 */
import { InvalidFaultError, OpenSearchError, FrontEndError, javaCause, mapperParsing } from './errors';
import { wildcardMatch } from './index-names';
import { isJsonObject, textOf, jsonEquals, type JsonObject, type JsonValue } from './json';

export type BulkAction = 'index' | 'create' | 'update' | 'delete';

/** What a bulk item fault's (or a mapping fault's) predicate sees of an item. */
export interface BulkItemInfo {
  readonly action: BulkAction;
  readonly index: string;
  /** `undefined` for `index`/`create` without an id (one is generated). */
  readonly id: string | undefined;
  /** The source (`index`/`create`), the partial `doc` (`update`), nothing for `delete`. */
  readonly document: JsonObject | undefined;
}

/** What a request fault's predicate sees of a request. */
export interface RequestInfo {
  readonly method: string;
  /** The path without the query string, e.g. `/_bulk`. */
  readonly path: string;
  /** The operation, named as the client's API names it (`bulk`, `search`, `indices.create`…). */
  readonly operation: string;
}

/** A JSON-expressible item filter (the HTTP form of a predicate): every given member must match. */
export interface ItemMatch {
  readonly action?: BulkAction | readonly BulkAction[];
  /** An index name or wildcard pattern. */
  readonly index?: string;
  readonly id?: string;
  /** Dotted paths of the document and the values they must equal. */
  readonly document?: Readonly<Record<string, JsonValue>>;
}

/** A JSON-expressible request filter. */
export interface RequestMatch {
  readonly method?: string;
  /** A path or wildcard pattern, e.g. `/_bulk` or `/telemetry-*\/_search`. */
  readonly path?: string;
  readonly operation?: string;
}

export interface BulkItemFaultOptions {
  /** How many items fail (default 1; `Infinity` until cleared). */
  readonly count?: number;
  /** Item status (default 429). */
  readonly status?: number;
  /** Error `type` (default by status: 429 `es_rejected_execution_exception`, 503 `unavailable_shards_exception`, else `exception`). */
  readonly type?: string;
  readonly reason?: string;
  /** Which items fail (default: any). */
  readonly match?: ((item: BulkItemInfo) => boolean) | ItemMatch;
}

export interface RequestFaultOptions {
  readonly count?: number;
  /** The HTTP status (e.g. 429, 500, 503). */
  readonly status: number;
  readonly type?: string;
  readonly reason?: string;
  /** A body to answer with instead of OpenSearch's error shape (e.g. Amazon's `{"message": "..."}`). */
  readonly body?: JsonValue;
  readonly match?: ((request: RequestInfo) => boolean) | RequestMatch;
}

export interface MappingFaultOptions {
  /** How many documents fail (default `Infinity`: every matching document until cleared). */
  readonly count?: number;
  /** The field named in the error (default: the document as a whole, `failed to parse`). */
  readonly field?: string;
  readonly reason?: string;
  readonly match?: ((item: BulkItemInfo) => boolean) | ItemMatch;
}

export type FaultKind = 'bulk_item' | 'request' | 'mapping';

/** A registered fault: how many times it will still fire, and how to remove it. */
export interface FaultHandle {
  readonly id: string;
  readonly kind: FaultKind;
  /** Times it will still fire (`Infinity` for unlimited). */
  readonly remaining: number;
  /** Times it fired so far. */
  readonly fired: number;
  cancel(): void;
}

interface Fault<O> {
  readonly id: string;
  readonly kind: FaultKind;
  readonly options: O;
  remaining: number;
  fired: number;
}

const DEFAULT_TYPES: Readonly<Record<number, string>> = { 429: 'es_rejected_execution_exception', 503: 'unavailable_shards_exception' };

function valueAtPath(document: JsonObject, path: string): JsonValue | undefined {
  let node: JsonValue | undefined = document;
  for (const segment of path.split('.')) {
    if (!isJsonObject(node)) return undefined;
    node = node[segment];
  }
  return node;
}

function itemMatches(match: BulkItemFaultOptions['match'], item: BulkItemInfo): boolean {
  if (match === undefined) return true;
  if (typeof match === 'function') return match(item);
  if (match.action !== undefined && !(Array.isArray(match.action) ? match.action : [match.action]).includes(item.action)) return false;
  if (match.index !== undefined && !wildcardMatch(match.index, item.index)) return false;
  if (match.id !== undefined && match.id !== item.id) return false;
  if (match.document !== undefined) {
    if (item.document === undefined) return false;
    for (const [path, expected] of Object.entries(match.document)) {
      if (!jsonEquals(valueAtPath(item.document, path), expected)) return false;
    }
  }
  return true;
}

function requestMatches(match: RequestFaultOptions['match'], request: RequestInfo): boolean {
  if (match === undefined) return true;
  if (typeof match === 'function') return match(request);
  if (match.method !== undefined && match.method.toUpperCase() !== request.method) return false;
  if (match.path !== undefined && !wildcardMatch(match.path, request.path)) return false;
  if (match.operation !== undefined && match.operation !== request.operation) return false;
  return true;
}

function checkCount(count: number | undefined, fallback: number): number {
  const value = count ?? fallback;
  if (value === -1) return Number.POSITIVE_INFINITY;
  if (!(value > 0) || (!Number.isInteger(value) && value !== Number.POSITIVE_INFINITY)) throw new InvalidFaultError(`fault count must be a positive integer, Infinity or -1, got ${String(count)}`);
  return value;
}

function checkStatus(status: number | undefined, fallback: number): number {
  const value = status ?? fallback;
  if (!Number.isInteger(value) || value < 400 || value > 599) throw new InvalidFaultError(`fault status must be an HTTP error status (400–599), got ${String(status)}`);
  return value;
}

const INJECTED = '(injected by the local OpenSearch emulator)';

/** The registry the server consults; the emulator exposes it as `faults`. */
export class FaultRegistry {
  private readonly faults: Fault<BulkItemFaultOptions | RequestFaultOptions | MappingFaultOptions>[] = [];
  private sequence = 0;
  /** How many times faults fired (all kinds). */
  firedTotal = 0;

  private add<O extends BulkItemFaultOptions | RequestFaultOptions | MappingFaultOptions>(kind: FaultKind, options: O, remaining: number): FaultHandle {
    const fault: Fault<O> = { id: `fault-${++this.sequence}`, kind, options, remaining, fired: 0 };
    this.faults.push(fault);
    const faults = this.faults;
    return {
      id: fault.id,
      kind,
      get remaining() {
        return fault.remaining;
      },
      get fired() {
        return fault.fired;
      },
      cancel: () => {
        const at = faults.indexOf(fault);
        if (at >= 0) faults.splice(at, 1);
      },
    };
  }

  /** Makes the next `count` matching bulk items fail (429 `es_rejected_execution_exception` by default). */
  failBulkItems(options: BulkItemFaultOptions = {}): FaultHandle {
    checkStatus(options.status, 429);
    return this.add('bulk_item', options, checkCount(options.count, 1));
  }

  /** Makes the next `count` matching requests fail whole with `status`. */
  failRequests(options: RequestFaultOptions): FaultHandle {
    checkStatus(options.status, 0);
    return this.add('request', options, checkCount(options.count, 1));
  }

  /** Makes matching documents fail with `mapper_parsing_exception` (every one until cleared, by default). */
  failMapping(options: MappingFaultOptions = {}): FaultHandle {
    return this.add('mapping', options, checkCount(options.count, Number.POSITIVE_INFINITY));
  }

  /** Removes every fault. */
  clear(): void {
    this.faults.length = 0;
  }

  /** The faults still armed. */
  list(): { id: string; kind: FaultKind; remaining: number; fired: number }[] {
    return this.faults.map((f) => ({ id: f.id, kind: f.kind, remaining: f.remaining, fired: f.fired }));
  }

  cancel(id: string): boolean {
    const at = this.faults.findIndex((f) => f.id === id);
    if (at < 0) return false;
    this.faults.splice(at, 1);
    return true;
  }

  private take<O>(kind: FaultKind, test: (options: O) => boolean): Fault<O> | undefined {
    const fault = this.faults.find((f) => f.kind === kind && f.remaining > 0 && test(f.options as O)) as Fault<O> | undefined;
    if (fault === undefined) return undefined;
    fault.remaining--;
    fault.fired++;
    this.firedTotal++;
    if (fault.remaining <= 0) this.faults.splice(this.faults.indexOf(fault as Fault<never>), 1);
    return fault;
  }

  /** The error a request fault gives this request, if one fires. */
  requestFault(request: RequestInfo): OpenSearchError | FrontEndError | undefined {
    const fault = this.take<RequestFaultOptions>('request', (o) => requestMatches(o.match, request));
    if (fault === undefined) return undefined;
    const { status, body } = fault.options;
    if (body !== undefined) return new FrontEndError(status, body);
    const type = fault.options.type ?? (status === 503 ? 'cluster_block_exception' : status === 429 ? 'es_rejected_execution_exception' : 'exception');
    const reason = fault.options.reason ?? (status === 503 ? `blocked by: [SERVICE_UNAVAILABLE/2/no cluster-manager]; ${INJECTED}` : status === 429 ? `rejected execution of ${request.operation} request ${INJECTED}` : `request failed ${INJECTED}`);
    return new OpenSearchError(status, type, reason);
  }

  /** The error a bulk item fault gives this item, if one fires. */
  bulkItemFault(item: BulkItemInfo): OpenSearchError | undefined {
    const fault = this.take<BulkItemFaultOptions>('bulk_item', (o) => itemMatches(o.match, item));
    if (fault === undefined) return undefined;
    const status = fault.options.status ?? 429;
    const type = fault.options.type ?? DEFAULT_TYPES[status] ?? 'exception';
    const reason = fault.options.reason ?? (status === 429
      ? `rejected execution of primary operation [shard_detail=[${item.index}][0]] on the write thread pool ${INJECTED}`
      : status === 503 ? `[${item.index}][0] primary shard is not active Timeout: [1m] ${INJECTED}` : `bulk item failed ${INJECTED}`);
    return new OpenSearchError(status, type, reason);
  }

  /** The mapping error a mapping fault gives this document, if one fires. */
  mappingFault(item: BulkItemInfo, documentId: string): OpenSearchError | undefined {
    if (item.document === undefined) return undefined;
    const fault = this.take<MappingFaultOptions>('mapping', (o) => itemMatches(o.match, item));
    if (fault === undefined) return undefined;
    const cause = javaCause('illegal_argument_exception', fault.options.reason ?? `mapping fault ${INJECTED}`);
    const field = fault.options.field;
    if (field === undefined) return mapperParsing('failed to parse', cause);
    const value = valueAtPath(item.document, field);
    return mapperParsing(`failed to parse field [${field}] of type [unknown] in document with id '${documentId}'. Preview of field's value: '${value === undefined ? 'null' : typeof value === 'string' ? value : JSON.stringify(value)}'`, cause);
  }

  /** Registers a fault from its JSON form (the `POST /_emulator/faults` body). */
  addFromJson(body: JsonValue): FaultHandle {
    if (!isJsonObject(body)) throw new InvalidFaultError('a fault must be a JSON object');
    const count = typeof body.count === 'number' ? body.count : undefined;
    const status = typeof body.status === 'number' ? body.status : undefined;
    const type = typeof body.type === 'string' ? body.type : undefined;
    const reason = typeof body.reason === 'string' ? body.reason : undefined;
    const match = body.match === undefined ? undefined : isJsonObject(body.match) ? body.match : undefined;
    if (body.match !== undefined && match === undefined) throw new InvalidFaultError('[match] must be an object');
    switch (body.kind) {
      case 'bulk_item':
        return this.failBulkItems({ count, status, type, reason, match: match as ItemMatch | undefined });
      case 'request':
        if (status === undefined) throw new InvalidFaultError('a request fault needs a [status]');
        return this.failRequests({ count, status, type, reason, body: body.body, match: match });
      case 'mapping':
        return this.failMapping({ count, field: typeof body.field === 'string' ? body.field : undefined, reason, match: match as ItemMatch | undefined });
      default:
        throw new InvalidFaultError(`[kind] must be one of [bulk_item, request, mapping], got [${textOf(body.kind)}]`);
    }
  }
}

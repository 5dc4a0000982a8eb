/**
 * The cluster's indices and index templates: creating an index (explicitly, or automatically on
 * the first write, with the matching template's settings and mappings composed under the
 * request's), deleting one, and resolving index expressions.
 * @see https://opensearch.org/docs/latest/api-reference/index-apis/create-index/
 */
import { OpenSearchError, indexNotFound } from './errors';
import { resolveIndexExpression, validateIndexName, type ResolveOptions } from './index-names';
import { IndexStore } from './index-store';
import { isJsonObject, type JsonObject, type JsonValue } from './json';
import { emptyRootMapping, mergeRootMappings, parseRootMapping } from './mapping';
import { flattenSettings, validateSettings } from './settings';
import { TemplateRegistry } from './templates';

const CREATE_KEYS = new Set(['settings', 'mappings', 'aliases']);

export interface ClusterOptions {
  /** Default refresh interval of new indices, in ms (-1: only explicit refreshes). */
  readonly refreshIntervalMs: number;
  /** `action.auto_create_index`: whether a write to a missing index creates it (default true). */
  readonly autoCreateIndex: boolean;
  readonly now?: () => number;
}

export class Cluster {
  private readonly indices = new Map<string, IndexStore>();
  readonly templates = new TemplateRegistry();

  constructor(private readonly options: ClusterOptions) {}

  /** Index names in creation order. */
  names(): string[] {
    return [...this.indices.keys()];
  }

  index(name: string): IndexStore | undefined {
    return this.indices.get(name);
  }

  /** The index, or `index_not_found_exception`. */
  require(name: string, resourceType: 'index_or_alias' | 'index_expression' = 'index_or_alias'): IndexStore {
    const index = this.indices.get(name);
    if (index === undefined) throw indexNotFound(name, resourceType);
    return index;
  }

  resolve(expression: string | undefined, options?: ResolveOptions): IndexStore[] {
    return resolveIndexExpression(expression, this.names(), options).map((name) => this.indices.get(name)!);
  }

  /** `PUT /{index}`: creates an index from the request body and the matching template. */
  create(name: string, body: JsonValue | undefined): IndexStore {
    validateIndexName(name);
    const existing = this.indices.get(name);
    if (existing !== undefined) {
      throw new OpenSearchError(400, 'resource_already_exists_exception', `index [${name}/${existing.uuid}] already exists`, { metadata: { index: name, index_uuid: existing.uuid } });
    }
    const request: JsonObject = body === undefined || body === null ? {} : (body as JsonObject);
    if (!isJsonObject(request)) throw new OpenSearchError(400, 'parse_exception', 'request body must be an object');
    for (const key of Object.keys(request)) {
      if (!CREATE_KEYS.has(key)) throw new OpenSearchError(400, 'parse_exception', `unknown key [${key}] for create index`);
    }
    if (isJsonObject(request.aliases) && Object.keys(request.aliases).length > 0) {
      throw new OpenSearchError(400, 'illegal_argument_exception', 'the local OpenSearch emulator does not support aliases', { java: true });
    }
    const requestSettings = flattenSettings(request.settings);
    validateSettings(requestSettings);
    const requestMappings = request.mappings === undefined ? undefined : parseRootMapping(request.mappings as JsonObject);
    const template = this.templates.matching(name);
    const settings = { 'index.number_of_shards': '1', 'index.number_of_replicas': '1', ...template?.settings, ...requestSettings };
    let mapping = template?.mappings ?? emptyRootMapping();
    if (requestMappings !== undefined) mapping = mergeRootMappings(mapping, requestMappings, 'template');
    // A private copy: dynamic updates must never reach the template's mapping.
    mapping = mergeRootMappings(emptyRootMapping(), mapping, 'template');
    const index = new IndexStore(name, settings, mapping, this.options.refreshIntervalMs, this.options.now);
    this.indices.set(name, index);
    return index;
  }

  /** The index a write goes to, created on the fly if missing and auto-creation is on. */
  forWrite(name: string): IndexStore {
    const existing = this.indices.get(name);
    if (existing !== undefined) return existing;
    validateIndexName(name);
    if (!this.options.autoCreateIndex) {
      throw new OpenSearchError(404, 'index_not_found_exception', `no such index [${name}] and [action.auto_create_index] is [false]`, {
        metadata: { 'resource.type': 'index_expression', 'resource.id': name, index_uuid: '_na_', index: name },
      });
    }
    return this.create(name, undefined);
  }

  delete(name: string): void {
    const index = this.require(name);
    index.close();
    this.indices.delete(name);
  }

  /** Deletes every index and template. */
  reset(): void {
    for (const index of this.indices.values()) index.close();
    this.indices.clear();
    this.templates.clear();
  }

  close(): void {
    for (const index of this.indices.values()) index.close();
  }
}

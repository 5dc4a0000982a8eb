/**
 * `_source` filtering of search hits and GET responses: `false`, a pattern or list of patterns
 * to include, or `{ includes, excludes }`. Patterns are dotted paths with `*` wildcards; naming
 * an object keeps all of it.
 * @see https://opensearch.org/docs/latest/search-plugins/searching-data/retrieve-specific-fields/
 */
import { parsingError } from './errors';
import { wildcardMatch } from './index-names';
import { isJsonObject, textOf, type JsonObject, type JsonValue } from './json';

export interface SourceFilter {
  readonly fetch: boolean;
  readonly includes: readonly string[];
  readonly excludes: readonly string[];
}

export const FETCH_ALL: SourceFilter = { fetch: true, includes: [], excludes: [] };

const list = (value: JsonValue | undefined): string[] => (value === undefined || value === null ? [] : Array.isArray(value) ? value.map(String) : [textOf(value)]);

/** The `_source` member of a search body. */
export function parseSourceFilter(value: JsonValue | undefined): SourceFilter {
  if (value === undefined || value === null || value === true) return FETCH_ALL;
  if (value === false) return { fetch: false, includes: [], excludes: [] };
  if (typeof value === 'string' || Array.isArray(value)) return { fetch: true, includes: list(value), excludes: [] };
  if (isJsonObject(value)) {
    for (const key of Object.keys(value)) {
      if (!['includes', 'include', 'excludes', 'exclude'].includes(key)) throw parsingError(`Unknown key for a START_ARRAY in [${key}].`);
    }
    return { fetch: true, includes: list(value.includes ?? value.include), excludes: list(value.excludes ?? value.exclude) };
  }
  throw parsingError(`Expected one of [VALUE_BOOLEAN, START_OBJECT] but found [${typeof value}]`);
}

/** The `_source`, `_source_includes` and `_source_excludes` query parameters. */
export function sourceFilterFromParams(params: URLSearchParams): SourceFilter | undefined {
  const source = params.get('_source');
  const includes = params.get('_source_includes') ?? params.get('_source_include');
  const excludes = params.get('_source_excludes') ?? params.get('_source_exclude');
  if (source === null && includes === null && excludes === null) return undefined;
  if (source === 'false') return { fetch: false, includes: [], excludes: [] };
  const split = (text: string | null): string[] => (text === null || text === '' ? [] : text.split(','));
  return { fetch: true, includes: source !== null && source !== 'true' ? split(source) : split(includes), excludes: split(excludes) };
}

const matchesOrParent = (patterns: readonly string[], path: string): boolean =>
  patterns.some((p) => wildcardMatch(p, path) || path.startsWith(`${p}.`) || (p.includes('*') && wildcardMatch(`${p}.*`, path)));

const mayMatchBelow = (patterns: readonly string[], path: string): boolean =>
  patterns.some((p) => p.startsWith(`${path}.`) || (p.includes('*') && wildcardMatch(p.slice(0, p.indexOf('*') + 1), `${path}.`)) || p.startsWith('*'));

function filterValue(value: JsonValue, path: string, filter: SourceFilter, included: boolean): JsonValue | undefined {
  if (filter.excludes.length > 0 && matchesOrParent(filter.excludes, path)) return undefined;
  const inside = included || filter.includes.length === 0 || matchesOrParent(filter.includes, path);
  if (Array.isArray(value)) {
    const items = value.map((item) => filterValue(item, path, filter, inside)).filter((item): item is JsonValue => item !== undefined);
    return inside || items.length > 0 ? items : undefined;
  }
  if (isJsonObject(value)) {
    if (!inside && !mayMatchBelow(filter.includes, path)) return undefined;
    const out = filterObject(value, path, filter, inside);
    return inside || Object.keys(out).length > 0 ? out : undefined;
  }
  return inside ? value : undefined;
}

function filterObject(object: JsonObject, prefix: string, filter: SourceFilter, included: boolean): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(object)) {
    const kept = filterValue(value, prefix === '' ? key : `${prefix}.${key}`, filter, included);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

/** The filtered source (the caller skips `_source` entirely when `fetch` is false). */
export function filterSource(source: JsonObject, filter: SourceFilter): JsonObject {
  if (filter.includes.length === 0 && filter.excludes.length === 0) return source;
  return filterObject(source, '', filter, false);
}

export const isFilterTrivial = (filter: SourceFilter): boolean => filter.fetch && filter.includes.length === 0 && filter.excludes.length === 0;

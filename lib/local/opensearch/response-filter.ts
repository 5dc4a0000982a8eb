/**
 * The `filter_path` response parameter: comma-separated dotted paths, `*` inside a name, `**` for
 * any depth, a leading `-` to exclude. Arrays are looked through; objects and arrays left empty
 * are dropped, and a response with nothing left is `{}`.
 * @see https://opensearch.org/docs/latest/api-reference/common-parameters/
 */
import { isJsonObject, type JsonObject, type JsonValue } from './json';

type Pattern = readonly string[];

const globToRegExp = (glob: string): RegExp =>
  new RegExp(`^${glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

function advance(pattern: Pattern, key: string): Pattern[] {
  const [head, ...rest] = pattern;
  if (head === undefined) return [];
  if (head === '**') return [pattern, ...advance(rest, key)];
  return globToRegExp(head).test(key) ? [rest] : [];
}

const complete = (patterns: readonly Pattern[]): boolean => patterns.some((p) => p.length === 0 || p.every((s) => s === '**'));

function keep(value: JsonValue, patterns: readonly Pattern[]): JsonValue | undefined {
  if (complete(patterns)) return value;
  if (Array.isArray(value)) {
    const items = value.map((item) => keep(item, patterns)).filter((item): item is JsonValue => item !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (!isJsonObject(value)) return undefined;
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    const next = patterns.flatMap((p) => advance(p, key));
    if (next.length === 0) continue;
    const kept = keep(item, next);
    if (kept !== undefined) out[key] = kept;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function drop(value: JsonValue, patterns: readonly Pattern[]): JsonValue | undefined {
  if (complete(patterns)) return undefined;
  if (Array.isArray(value)) {
    const items = value.map((item) => drop(item, patterns)).filter((item): item is JsonValue => item !== undefined);
    return items;
  }
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    const next = patterns.flatMap((p) => advance(p, key));
    const kept = next.length === 0 ? item : drop(item, next);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

/** Applies a `filter_path` expression to a response body. */
export function applyFilterPath(body: JsonValue, expression: string): JsonValue {
  const paths = expression.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const includes = paths.filter((p) => !p.startsWith('-')).map((p) => p.split('.'));
  const excludes = paths.filter((p) => p.startsWith('-')).map((p) => p.slice(1).split('.'));
  let result: JsonValue | undefined = body;
  if (includes.length > 0) result = keep(body, includes);
  if (result !== undefined && excludes.length > 0) result = drop(result, excludes);
  return result ?? {};
}

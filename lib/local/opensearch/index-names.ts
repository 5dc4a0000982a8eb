/**
 * Index names: OpenSearch's validation rules (`MetadataCreateIndexService.validateIndexName`), and
 * index expressions in paths (`telemetry-*`, `a,b`, `_all`, `-excluded*`).
 */
import { indexNotFound, invalidIndexName } from './errors';

/** `Strings.INVALID_FILENAME_CHARS`, in the order OpenSearch prints the set. */
const INVALID_CHARS = [' ', '"', '*', '\\', '<', '|', ',', '>', '/', '?'];
const INVALID_CHARS_TEXT = `[${INVALID_CHARS.join(', ')}]`;
export const MAX_INDEX_NAME_BYTES = 255;

/** Throws `invalid_index_name_exception` (400) if `name` is not a valid index name. */
export function validateIndexName(name: string): void {
  if (name.length === 0 || INVALID_CHARS.some((c) => name.includes(c))) throw invalidIndexName(name, `must not contain the following characters ${INVALID_CHARS_TEXT}`);
  if (name.includes('#')) throw invalidIndexName(name, "must not contain '#'");
  if (name.includes(':')) throw invalidIndexName(name, "must not contain ':'");
  if (name.startsWith('_') || name.startsWith('-') || name.startsWith('+')) throw invalidIndexName(name, "must not start with '_', '-', or '+'");
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_INDEX_NAME_BYTES) throw invalidIndexName(name, `index name is too long, (${bytes} > ${MAX_INDEX_NAME_BYTES})`);
  if (name === '.' || name === '..') throw invalidIndexName(name, "must not be '.' or '..'");
  if (name.toLowerCase() !== name) throw invalidIndexName(name, 'must be lowercase');
}

/** Whether `value` matches a simple wildcard pattern (`*` any run of characters). */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const parts = pattern.split('*');
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!value.startsWith(first) || value.length < first.length + last.length || !value.endsWith(last)) return false;
  let at = first.length;
  for (const part of parts.slice(1, -1)) {
    const found = value.indexOf(part, at);
    if (found < 0 || found + part.length > value.length - last.length) return false;
    at = found + part.length;
  }
  return true;
}

/** Whether some string matches both wildcard patterns (to refuse same-priority templates that overlap). */
export function patternsOverlap(a: string, b: string): boolean {
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === a.length && j === b.length) result = true;
    else if (a[i] === '*') result = go(i + 1, j) || (j < b.length && go(i, j + 1));
    else if (b[j] === '*') result = go(i, j + 1) || (i < a.length && go(i + 1, j));
    else result = i < a.length && j < b.length && a[i] === b[j] && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** How an expression that names missing indices is treated (OpenSearch's `IndicesOptions`). */
export interface ResolveOptions {
  /** `ignore_unavailable`: a missing concrete name is skipped instead of failing (default false). */
  readonly ignoreUnavailable?: boolean;
  /** `allow_no_indices`: an expression resolving to nothing is fine (default true). */
  readonly allowNoIndices?: boolean;
  /** The `resource.type` of the 404 (search and document reads say `index_expression`). */
  readonly resourceType?: 'index_or_alias' | 'index_expression';
}

/**
 * The existing indices an expression names, in the order of `existing` for wildcards and of the
 * expression for concrete names. A missing concrete name fails with `index_not_found_exception`.
 */
export function resolveIndexExpression(expression: string | undefined, existing: readonly string[], options: ResolveOptions = {}): string[] {
  const parts = (expression ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
  const visible = existing.filter((name) => !name.startsWith('.'));
  if (parts.length === 0 || (parts.length === 1 && (parts[0] === '_all' || parts[0] === '*'))) {
    if (visible.length === 0 && options.allowNoIndices === false) throw indexNotFound(expression ?? '_all', options.resourceType);
    return visible;
  }
  const selected = new Set<string>();
  let sawWildcard = false;
  for (const part of parts) {
    if (part.startsWith('-') && sawWildcard) {
      const pattern = part.slice(1);
      for (const name of [...selected]) if (wildcardMatch(pattern, name)) selected.delete(name);
      continue;
    }
    if (part === '_all') {
      visible.forEach((name) => selected.add(name));
      sawWildcard = true;
    } else if (part.includes('*')) {
      sawWildcard = true;
      const pool = part.startsWith('.') ? existing : visible;
      const matched = pool.filter((name) => wildcardMatch(part, name));
      if (matched.length === 0 && options.allowNoIndices === false) throw indexNotFound(part, options.resourceType);
      matched.forEach((name) => selected.add(name));
    } else if (existing.includes(part)) {
      selected.add(part);
    } else if (options.ignoreUnavailable !== true) {
      throw indexNotFound(part, options.resourceType);
    }
  }
  return [...selected];
}

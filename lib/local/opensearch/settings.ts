/**
 * Index settings: normalised to flat `index.*` keys with string values (as OpenSearch stores
 * them), validated for the settings the emulator acts on, and written back nested.
 * Settings that only tune the engine (translog, codec, routing…) are accepted and echoed.
 * Analysis settings and unknown keys are refused with OpenSearch's `unknown setting` error.
 * @see https://opensearch.org/docs/latest/install-and-configure/configuring-opensearch/index-settings/
 */
import { illegalArgument } from './errors';
import { isJsonObject, textOf, type JsonObject, type JsonValue } from './json';

export type FlatSettings = Record<string, string>;

const KNOWN = new Set([
  'index.number_of_shards', 'index.number_of_replicas', 'index.refresh_interval', 'index.max_result_window', 'index.mapping.total_fields.limit',
  'index.mapping.depth.limit', 'index.mapping.nested_fields.limit', 'index.codec', 'index.auto_expand_replicas', 'index.hidden', 'index.gc_deletes',
  'index.max_inner_result_window', 'index.query.default_field', 'index.number_of_routing_shards', 'index.write.wait_for_active_shards',
  'index.search.idle.after', 'index.replication.type', 'index.priority', 'index.max_refresh_listeners', 'index.default_pipeline', 'index.final_pipeline',
  'index.shard.check_on_startup', 'index.max_terms_count', 'index.max_regex_length', 'index.max_docvalue_fields_search', 'index.max_script_fields',
  'index.load_fixed_bitset_filters_eagerly', 'index.unassigned.node_left.delayed_timeout', 'index.requests.cache.enable', 'index.merge.policy',
]);
const KNOWN_PREFIXES = ['index.translog.', 'index.routing.', 'index.blocks.', 'index.merge.', 'index.indexing.slowlog.', 'index.search.slowlog.', 'index.store.', 'index.lifecycle.', 'index.plugins.'];
/** Settings OpenSearch sets itself and refuses from a request. */
const PRIVATE = new Set(['index.uuid', 'index.creation_date', 'index.version.created', 'index.version.upgraded', 'index.provided_name']);

function stringOf(value: JsonValue): string {
  if (Array.isArray(value)) return value.map(stringOf).join(',');
  return value === null ? 'null' : textOf(value);
}

function flattenInto(out: FlatSettings, prefix: string, value: JsonValue): void {
  if (isJsonObject(value)) {
    for (const [key, inner] of Object.entries(value)) flattenInto(out, prefix === '' ? key : `${prefix}.${key}`, inner);
    return;
  }
  out[prefix] = stringOf(value);
}

/** Flattens a `settings` object to `index.*` keys (`number_of_shards` becomes `index.number_of_shards`). */
export function flattenSettings(settings: JsonValue | undefined): FlatSettings {
  if (settings === undefined || settings === null) return {};
  if (!isJsonObject(settings)) throw illegalArgument('request [settings] must be an object');
  const flat: FlatSettings = {};
  flattenInto(flat, '', settings);
  const normalised: FlatSettings = {};
  for (const [key, value] of Object.entries(flat)) normalised[key.startsWith('index.') ? key : `index.${key}`] = value;
  return normalised;
}

/** Parses an OpenSearch time value (`1s`, `500ms`, `-1`) to milliseconds. */
export function parseTimeValue(text: string, setting: string): number {
  if (text === '-1') return -1;
  if (text === '0') return 0;
  const match = /^(-?\d+(?:\.\d+)?)\s*(nanos|micros|ms|s|m|h|d)$/.exec(text.trim());
  if (match === null) throw illegalArgument(`failed to parse setting [${setting}] with value [${text}] as a time value: unit is missing or unrecognized`);
  const scale: Record<string, number> = { nanos: 1e-6, micros: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return Number(match[1]) * scale[match[2]!]!;
}

function integerSetting(settings: FlatSettings, key: string, min: number, max?: number): void {
  const text = settings[key];
  if (text === undefined) return;
  const value = Number(text);
  if (!/^-?\d+$/.test(text)) throw illegalArgument(`Failed to parse value [${text}] for setting [${key}]`);
  if (value < min) throw illegalArgument(`Failed to parse value [${text}] for setting [${key}] must be >= ${min}`);
  if (max !== undefined && value > max) throw illegalArgument(`Failed to parse value [${text}] for setting [${key}] must be <= ${max}`);
}

/** Validates flattened settings for an index being created (or updated with `dynamicOnly`). */
export function validateSettings(settings: FlatSettings, options: { dynamicOnly?: boolean } = {}): void {
  for (const key of Object.keys(settings)) {
    if (PRIVATE.has(key)) throw illegalArgument(`private index setting [${key}] can not be set explicitly`);
    if (key.startsWith('index.analysis.')) throw illegalArgument(`the local OpenSearch emulator does not support custom analysis settings [${key}]`);
    if (!KNOWN.has(key) && !KNOWN_PREFIXES.some((p) => key.startsWith(p))) {
      throw illegalArgument(`unknown setting [${key}] please check that any required plugins are installed, or check the breaking changes documentation for removed settings`);
    }
    if (options.dynamicOnly === true && (key === 'index.number_of_shards' || key === 'index.number_of_routing_shards' || key === 'index.codec')) {
      throw illegalArgument(`Can't update non dynamic settings [[${key}]] for open indices`);
    }
  }
  integerSetting(settings, 'index.number_of_shards', 1, 1024);
  integerSetting(settings, 'index.number_of_replicas', 0);
  integerSetting(settings, 'index.max_result_window', 1);
  integerSetting(settings, 'index.mapping.total_fields.limit', 0);
  if (settings['index.refresh_interval'] !== undefined) {
    const ms = parseTimeValue(settings['index.refresh_interval'], 'index.refresh_interval');
    if (ms < -1) throw illegalArgument(`failed to parse value [${settings['index.refresh_interval']}] for setting [index.refresh_interval], must be >= [-1]`);
  }
  if (settings['index.gc_deletes'] !== undefined) parseTimeValue(settings['index.gc_deletes'], 'index.gc_deletes');
}

/** Nests flat settings for `GET /{index}/_settings` (`index.number_of_shards` → `{index: {number_of_shards}}`). */
export function nestSettings(settings: FlatSettings): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(settings).sort()) {
    const segments = key.split('.');
    let node = out;
    for (const segment of segments.slice(0, -1)) {
      if (!isJsonObject(node[segment])) node[segment] = {};
      node = node[segment];
    }
    node[segments[segments.length - 1]!] = settings[key]!;
  }
  return out;
}

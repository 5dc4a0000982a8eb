/**
 * Index mappings: parsing a `mappings` definition, merging one into another (`PUT _mapping`,
 * templates composed with a create request), and writing it back as `GET _mapping` shows it.
 *
 * Supported field types: `keyword`, `text`, `date`, `boolean`, `long`, `integer`, `short`,
 * `byte`, `double`, `float`, and `object` (with `properties`, `dynamic`, `enabled`), multi-fields
 * (`fields`), dotted names (`"a.b"` is object `a` with field `b`) and basic `dynamic_templates`.
 * Other OpenSearch types (`nested`, `ip`, `geo_point`, …) are refused with a 400 naming them,
 * so a mapping the emulator cannot honour never looks accepted.
 * @see https://opensearch.org/docs/latest/field-types/
 */
import { DEFAULT_DATE_FORMAT, DEFAULT_DYNAMIC_DATE_FORMATS, unsupportedDateFormats } from './dates';
import type { OpenSearchError } from './errors';
import { illegalArgument, mapperParsing } from './errors';
import { wildcardMatch } from './index-names';
import { isJsonObject, textOf, jsonEquals, type JsonObject, type JsonValue } from './json';

export const NUMERIC_TYPES = ['long', 'integer', 'short', 'byte', 'double', 'float'] as const;
export type NumericType = (typeof NUMERIC_TYPES)[number];
export type LeafType = 'keyword' | 'text' | 'date' | 'boolean' | NumericType;
export type Dynamic = 'true' | 'false' | 'strict';
export type AnalyzerName = 'standard' | 'simple' | 'whitespace' | 'keyword';

const LEAF_TYPES: readonly string[] = ['keyword', 'text', 'date', 'boolean', ...NUMERIC_TYPES];
/** Types OpenSearch has that the emulator does not implement (refused by name). */
const KNOWN_UNSUPPORTED_TYPES = new Set([
  'nested', 'flat_object', 'join', 'ip', 'geo_point', 'geo_shape', 'xy_point', 'xy_shape', 'binary', 'half_float', 'scaled_float',
  'unsigned_long', 'date_nanos', 'integer_range', 'long_range', 'float_range', 'double_range', 'date_range', 'ip_range', 'alias',
  'match_only_text', 'wildcard', 'constant_keyword', 'completion', 'search_as_you_type', 'token_count', 'rank_feature',
  'rank_features', 'percolator', 'knn_vector', 'semantic', 'derived', 'star_tree',
]);

/** Parameters each type accepts (others: `unknown parameter`). Accepted but not interpreted ones only change Lucene internals. */
const COMMON_PARAMS = ['type', 'index', 'doc_values', 'store', 'meta', 'fields', 'boost'];
const PARAMS: Readonly<Record<LeafType, readonly string[]>> = {
  keyword: [...COMMON_PARAMS, 'ignore_above', 'null_value', 'normalizer', 'eager_global_ordinals', 'index_options', 'norms', 'similarity', 'split_queries_on_whitespace'],
  text: [...COMMON_PARAMS, 'analyzer', 'search_analyzer', 'search_quote_analyzer', 'fielddata', 'fielddata_frequency_filter', 'eager_global_ordinals', 'index_options', 'index_phrases', 'index_prefixes', 'norms', 'position_increment_gap', 'similarity', 'term_vector'],
  date: [...COMMON_PARAMS, 'format', 'locale', 'ignore_malformed', 'null_value', 'print_format'],
  boolean: [...COMMON_PARAMS, 'null_value'],
  long: [...COMMON_PARAMS, 'coerce', 'ignore_malformed', 'null_value'],
  integer: [...COMMON_PARAMS, 'coerce', 'ignore_malformed', 'null_value'],
  short: [...COMMON_PARAMS, 'coerce', 'ignore_malformed', 'null_value'],
  byte: [...COMMON_PARAMS, 'coerce', 'ignore_malformed', 'null_value'],
  double: [...COMMON_PARAMS, 'coerce', 'ignore_malformed', 'null_value'],
  float: [...COMMON_PARAMS, 'coerce', 'ignore_malformed', 'null_value'],
};
/** Parameters `PUT _mapping` may change on an existing field. */
const UPDATABLE_PARAMS = new Set(['ignore_above', 'meta', 'fields', 'search_analyzer', 'search_quote_analyzer', 'fielddata', 'coerce', 'ignore_malformed', 'boost', 'eager_global_ordinals']);

export interface LeafField {
  readonly kind: 'leaf';
  readonly type: LeafType;
  /** The parameters as given (without `type` and `fields`), echoed by `GET _mapping`. */
  readonly params: Readonly<JsonObject>;
  readonly format: string;
  readonly coerce: boolean;
  readonly ignoreMalformed: boolean;
  readonly ignoreAbove?: number;
  readonly indexed: boolean;
  readonly nullValue?: JsonValue;
  readonly analyzer: AnalyzerName;
  readonly fielddata: boolean;
  readonly fields: ReadonlyMap<string, LeafField>;
}

export interface ObjectField {
  readonly kind: 'object';
  /** `undefined`: inherited from the parent object. */
  dynamic?: Dynamic;
  readonly enabled: boolean;
  /** Whether the definition said `"type": "object"` (echoed back). */
  readonly explicitType: boolean;
  readonly properties: Map<string, FieldNode>;
}

export type FieldNode = LeafField | ObjectField;

export interface DynamicTemplate {
  readonly name: string;
  readonly definition: JsonObject;
  readonly matchMappingType?: readonly string[];
  readonly match?: readonly string[];
  readonly unmatch?: readonly string[];
  readonly pathMatch?: readonly string[];
  readonly pathUnmatch?: readonly string[];
  readonly regex: boolean;
  readonly mapping: JsonObject;
}

export interface RootMapping extends ObjectField {
  dateDetection?: boolean;
  numericDetection?: boolean;
  dynamicDateFormats?: readonly string[];
  dynamicTemplates: DynamicTemplate[];
  sourceEnabled: boolean;
  meta?: JsonObject;
  /** Root-level members kept only to be echoed (`_routing`). */
  extras: JsonObject;
}

export const emptyRootMapping = (): RootMapping => ({ kind: 'object', enabled: true, explicitType: false, properties: new Map(), dynamicTemplates: [], sourceEnabled: true, extras: {} });

const mappingError = (reason: string): OpenSearchError => mapperParsing(reason);

function parseDynamic(value: JsonValue, path: string): Dynamic {
  if (value === true || value === 'true') return 'true';
  if (value === false || value === 'false') return 'false';
  if (value === 'strict') return 'strict';
  throw mappingError(`Could not convert [${path}.dynamic] to boolean`);
}

function asBoolean(value: JsonValue | undefined, name: string, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw mappingError(`Failed to parse mapping: Cannot parse value [${textOf(value)}] as only [true] or [false] are allowed. (parameter [${name}] of field [${field}])`);
}

/** Parses one leaf field definition. `path` is the full dotted name (for messages). */
export function parseLeaf(path: string, definition: JsonObject): LeafField {
  const type = definition.type as LeafType;
  const allowed = PARAMS[type];
  const params: JsonObject = {};
  for (const [key, value] of Object.entries(definition)) {
    if (key === 'type' || key === 'fields') continue;
    if (!allowed.includes(key)) {
      if (key === 'copy_to') throw mappingError(`the local OpenSearch emulator does not support [copy_to] (field [${path}])`);
      throw mappingError(`unknown parameter [${key}] on mapper [${path}] of type [${type}]`);
    }
    params[key] = value;
  }
  const format = typeof definition.format === 'string' ? definition.format : DEFAULT_DATE_FORMAT;
  if (type === 'date') {
    const unsupported = unsupportedDateFormats(format);
    if (unsupported.length > 0) throw mappingError(`the local OpenSearch emulator does not support the date format [${unsupported.join('||')}] (field [${path}])`);
  }
  const analyzer = (definition.analyzer ?? 'standard') as AnalyzerName;
  if (type === 'text' && !['standard', 'simple', 'whitespace', 'keyword'].includes(analyzer)) {
    throw mappingError(`the local OpenSearch emulator supports the analyzers [standard, simple, whitespace, keyword], not [${textOf(definition.analyzer)}] (field [${path}])`);
  }
  if (type === 'keyword' && definition.normalizer !== undefined) throw mappingError(`the local OpenSearch emulator does not support normalizers (field [${path}])`);
  const ignoreAbove = definition.ignore_above;
  if (ignoreAbove !== undefined && (typeof ignoreAbove !== 'number' || !Number.isInteger(ignoreAbove) || ignoreAbove < 0)) {
    throw mappingError(`[ignore_above] must be a non-negative integer on field [${path}]`);
  }
  const fields = new Map<string, LeafField>();
  if (definition.fields !== undefined) {
    if (!isJsonObject(definition.fields)) throw mappingError(`Expected map for property [fields] on field [${path}] but got a class java.lang.String`);
    for (const [name, sub] of Object.entries(definition.fields)) {
      if (!isJsonObject(sub)) throw mappingError(`Expected map for property [fields] on field [${name}] but got a class java.lang.String`);
      const node = parseNode(`${path}.${name}`, sub);
      if (node.kind !== 'leaf') throw mappingError(`Type [object] cannot be used in multi field`);
      fields.set(name, node);
    }
  }
  return {
    kind: 'leaf',
    type,
    params,
    format,
    coerce: asBoolean(definition.coerce, 'coerce', path, true),
    ignoreMalformed: asBoolean(definition.ignore_malformed, 'ignore_malformed', path, false),
    ignoreAbove: typeof ignoreAbove === 'number' ? ignoreAbove : undefined,
    indexed: asBoolean(definition.index, 'index', path, true),
    nullValue: definition.null_value ?? undefined,
    analyzer,
    fielddata: asBoolean(definition.fielddata, 'fielddata', path, false),
    fields,
  };
}

/** Parses a field or object definition. */
export function parseNode(path: string, definition: JsonObject): FieldNode {
  const type = definition.type;
  if (type === undefined && Object.keys(definition).some((key) => !['properties', 'dynamic', 'enabled'].includes(key))) {
    throw mappingError(`No type specified for field [${path}]`);
  }
  if (type === undefined || type === 'object') return parseObject(path, definition);
  if (typeof type !== 'string') throw mappingError(`No type specified for field [${path}]`);
  if (KNOWN_UNSUPPORTED_TYPES.has(type)) throw mappingError(`the local OpenSearch emulator does not support fields of type [${type}] (field [${path}])`);
  if (!LEAF_TYPES.includes(type)) throw mappingError(`No handler for type [${type}] declared on field [${path}]`);
  return parseLeaf(path, definition);
}

function parseObject(path: string, definition: JsonObject): ObjectField {
  const properties = new Map<string, FieldNode>();
  for (const [key, value] of Object.entries(definition)) {
    if (!['type', 'properties', 'dynamic', 'enabled'].includes(key)) {
      throw mappingError(`Mapping definition for [${path}] has unsupported parameters:  [${key} : ${JSON.stringify(value)}]`);
    }
  }
  if (definition.properties !== undefined) {
    if (!isJsonObject(definition.properties)) throw mappingError(`Expected map for property [properties] on field [${path}]`);
    addProperties(path, properties, definition.properties);
  }
  return {
    kind: 'object',
    dynamic: definition.dynamic === undefined ? undefined : parseDynamic(definition.dynamic, path),
    enabled: asBoolean(definition.enabled, 'enabled', path, true),
    explicitType: definition.type === 'object',
    properties,
  };
}

/** Adds `properties` to a map, expanding dotted names into objects. */
function addProperties(parentPath: string, into: Map<string, FieldNode>, properties: JsonObject): void {
  for (const [name, definition] of Object.entries(properties)) {
    if (name.trim() === '') throw mappingError('field name cannot be an empty string');
    if (!isJsonObject(definition)) throw mappingError(`Expected map for property [fields] on field [${name}] but got a class java.lang.String`);
    const segments = name.split('.');
    let target = into;
    let path = parentPath;
    for (const segment of segments.slice(0, -1)) {
      path = path === '' ? segment : `${path}.${segment}`;
      let existing = target.get(segment);
      if (existing === undefined) {
        existing = { kind: 'object', enabled: true, explicitType: false, properties: new Map() };
        target.set(segment, existing);
      }
      if (existing.kind !== 'object') throw illegalArgument(`can't merge a non object mapping [${path}] with an object mapping`);
      target = existing.properties;
    }
    const last = segments[segments.length - 1]!;
    const fullPath = path === '' ? last : `${path}.${last}`;
    const node = parseNode(fullPath, definition);
    const existing = target.get(last);
    target.set(last, existing === undefined ? node : mergeNode(fullPath, existing, node, 'template'));
  }
}

function parseDynamicTemplates(value: JsonValue): DynamicTemplate[] {
  if (!Array.isArray(value)) throw mappingError('Dynamic template syntax error. An array of named objects is expected.');
  return value.map((entry) => {
    if (!isJsonObject(entry) || Object.keys(entry).length !== 1) throw mappingError('Dynamic template syntax error. An array of named objects is expected.');
    const [name, definition] = Object.entries(entry)[0]!;
    if (!isJsonObject(definition) || !isJsonObject(definition.mapping)) throw mappingError(`template [${name}] must have either mapping or runtime set`);
    const list = (v: JsonValue | undefined): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v.map(String) : [textOf(v)]);
    return {
      name,
      definition,
      matchMappingType: list(definition.match_mapping_type),
      match: list(definition.match),
      unmatch: list(definition.unmatch),
      pathMatch: list(definition.path_match),
      pathUnmatch: list(definition.path_unmatch),
      regex: definition.match_pattern === 'regex',
      mapping: definition.mapping,
    };
  });
}

const ROOT_KEYS = new Set(['properties', 'dynamic', 'enabled', 'date_detection', 'numeric_detection', 'dynamic_date_formats', 'dynamic_templates', '_source', '_meta', '_routing']);

/** Parses the `mappings` of a create-index request, a template or `PUT _mapping`. */
export function parseRootMapping(definition: JsonObject): RootMapping {
  let body = definition;
  // A mapping wrapped in `_doc` (a type name) is accepted by OpenSearch 2.x for compatibility.
  if (Object.keys(body).length === 1 && isJsonObject(body._doc)) body = body._doc;
  for (const key of Object.keys(body)) {
    if (!ROOT_KEYS.has(key)) {
      throw mappingError(`Root mapping definition has unsupported parameters:  [${key} : ${JSON.stringify(body[key])}]`);
    }
  }
  const root = emptyRootMapping();
  if (body.properties !== undefined) {
    if (!isJsonObject(body.properties)) throw mappingError('Expected map for property [properties] on field [_doc]');
    addProperties('', root.properties, body.properties);
  }
  if (body.dynamic !== undefined) root.dynamic = parseDynamic(body.dynamic, '_doc');
  if (body.date_detection !== undefined) root.dateDetection = asBoolean(body.date_detection, 'date_detection', '_doc', true);
  if (body.numeric_detection !== undefined) root.numericDetection = asBoolean(body.numeric_detection, 'numeric_detection', '_doc', false);
  if (body.dynamic_date_formats !== undefined) {
    const formats = Array.isArray(body.dynamic_date_formats) ? body.dynamic_date_formats.map(String) : [textOf(body.dynamic_date_formats)];
    const unsupported = formats.flatMap(unsupportedDateFormats);
    if (unsupported.length > 0) throw mappingError(`the local OpenSearch emulator does not support the date format [${unsupported.join('||')}] (dynamic_date_formats)`);
    root.dynamicDateFormats = formats;
  }
  if (body.dynamic_templates !== undefined) root.dynamicTemplates = parseDynamicTemplates(body.dynamic_templates);
  if (body._source !== undefined) {
    if (!isJsonObject(body._source)) throw mappingError('[_source] must be an object');
    if (body._source.includes !== undefined || body._source.excludes !== undefined) throw mappingError('the local OpenSearch emulator does not support [_source] includes/excludes in mappings');
    root.sourceEnabled = asBoolean(body._source.enabled, 'enabled', '_source', true);
  }
  if (body._meta !== undefined) {
    if (!isJsonObject(body._meta)) throw mappingError('[_meta] must be an object, got [VALUE_STRING] instead.');
    root.meta = body._meta;
  }
  if (body._routing !== undefined && isJsonObject(body._routing)) root.extras._routing = body._routing;
  return root;
}

// ---- merging ----

type MergeReason = 'update' | 'template';

function mergeLeaf(path: string, current: LeafField, incoming: LeafField, reason: MergeReason): LeafField {
  if (current.type !== incoming.type) {
    if (reason === 'template') return incoming;
    throw illegalArgument(`mapper [${path}] cannot be changed from type [${current.type}] to [${incoming.type}]`);
  }
  if (reason === 'update') {
    const conflicts: string[] = [];
    const keys = new Set([...Object.keys(current.params), ...Object.keys(incoming.params)]);
    for (const key of keys) {
      if (UPDATABLE_PARAMS.has(key)) continue;
      const before = current.params[key];
      const after = incoming.params[key];
      if (!jsonEquals(before, after)) {
        conflicts.push(`Cannot update parameter [${key}] from [${before === undefined ? 'null' : textOf(before)}] to [${after === undefined ? 'null' : textOf(after)}]`);
      }
    }
    if (conflicts.length > 0) throw illegalArgument(`Mapper for [${path}] conflicts with existing mapper:\n\t${conflicts.join('\n\t')}`);
  }
  const fields = new Map(current.fields);
  for (const [name, sub] of incoming.fields) {
    const existing = fields.get(name);
    fields.set(name, existing === undefined ? sub : mergeLeaf(`${path}.${name}`, existing, sub, reason));
  }
  return { ...incoming, fields };
}

function mergeNode(path: string, current: FieldNode, incoming: FieldNode, reason: MergeReason): FieldNode {
  if (current.kind === 'leaf' && incoming.kind === 'leaf') return mergeLeaf(path, current, incoming, reason);
  if (current.kind === 'object' && incoming.kind === 'object') {
    const merged: ObjectField = { ...current, properties: new Map(current.properties) };
    if (incoming.dynamic !== undefined) merged.dynamic = incoming.dynamic;
    mergeProperties(path, merged.properties, incoming.properties, reason);
    return merged;
  }
  if (reason === 'template') return incoming;
  if (current.kind === 'object') throw illegalArgument(`can't merge a non object mapping [${path}] with an object mapping`);
  throw illegalArgument(`mapper [${path}] cannot be changed from type [${current.type}] to [object]`);
}

function mergeProperties(parentPath: string, into: Map<string, FieldNode>, incoming: ReadonlyMap<string, FieldNode>, reason: MergeReason): void {
  for (const [name, node] of incoming) {
    const path = parentPath === '' ? name : `${parentPath}.${name}`;
    const existing = into.get(name);
    into.set(name, existing === undefined ? node : mergeNode(path, existing, node, reason));
  }
}

/**
 * Merges `incoming` into a copy of `current`. `update` (`PUT _mapping`) refuses to change a
 * field's type or a fixed parameter (400 `illegal_argument_exception`); `template` (composing
 * templates and a create request) lets the later definition win.
 */
export function mergeRootMappings(current: RootMapping, incoming: RootMapping, reason: MergeReason): RootMapping {
  const merged: RootMapping = { ...current, properties: new Map(current.properties), dynamicTemplates: [...current.dynamicTemplates], extras: { ...current.extras } };
  mergeProperties('', merged.properties, incoming.properties, reason);
  if (incoming.dynamic !== undefined) merged.dynamic = incoming.dynamic;
  if (incoming.dateDetection !== undefined) merged.dateDetection = incoming.dateDetection;
  if (incoming.numericDetection !== undefined) merged.numericDetection = incoming.numericDetection;
  if (incoming.dynamicDateFormats !== undefined) merged.dynamicDateFormats = incoming.dynamicDateFormats;
  if (incoming.dynamicTemplates.length > 0) {
    // Templates with the same name are replaced, new ones appended (OpenSearch's rule).
    for (const template of incoming.dynamicTemplates) {
      const at = merged.dynamicTemplates.findIndex((t) => t.name === template.name);
      if (at >= 0) merged.dynamicTemplates[at] = template;
      else merged.dynamicTemplates.push(template);
    }
  }
  if (!incoming.sourceEnabled) merged.sourceEnabled = false;
  if (incoming.meta !== undefined) merged.meta = incoming.meta;
  Object.assign(merged.extras, incoming.extras);
  return merged;
}

// ---- lookups ----

/** The node at a dotted path (object properties only; multi-fields via {@link leafAt}). */
export function nodeAt(root: ObjectField, path: string): FieldNode | undefined {
  let node: FieldNode | undefined = root;
  for (const segment of path.split('.')) {
    if (node === undefined || node.kind !== 'object') return undefined;
    node = node.properties.get(segment);
  }
  return node;
}

/** The leaf field a query path names, including multi-fields (`name.keyword`). */
export function leafAt(root: ObjectField, path: string): LeafField | undefined {
  const direct = nodeAt(root, path);
  if (direct?.kind === 'leaf') return direct;
  const split = path.lastIndexOf('.');
  if (split < 0) return undefined;
  const parent = leafAt(root, path.slice(0, split));
  return parent?.fields.get(path.slice(split + 1));
}

/** The effective `dynamic` of an object: its own, else its nearest ancestor's, else `true`. */
export function effectiveDynamic(chain: readonly ObjectField[]): Dynamic {
  for (let i = chain.length - 1; i >= 0; i--) {
    const dynamic = chain[i]!.dynamic;
    if (dynamic !== undefined) return dynamic;
  }
  return 'true';
}

/** The dynamic template that applies to a new field, if any. */
export function findDynamicTemplate(root: RootMapping, name: string, path: string, detectedType: string): DynamicTemplate | undefined {
  const matches = (patterns: readonly string[] | undefined, value: string, regex: boolean): boolean =>
    patterns === undefined || patterns.some((p) => (regex ? new RegExp(p).test(value) : wildcardMatch(p, value)));
  const excluded = (patterns: readonly string[] | undefined, value: string, regex: boolean): boolean =>
    patterns !== undefined && patterns.some((p) => (regex ? new RegExp(p).test(value) : wildcardMatch(p, value)));
  return root.dynamicTemplates.find((t) =>
    (t.matchMappingType === undefined || t.matchMappingType.includes('*') || t.matchMappingType.includes(detectedType)) &&
    matches(t.match, name, t.regex) && !excluded(t.unmatch, name, t.regex) &&
    matches(t.pathMatch, path, false) && !excluded(t.pathUnmatch, path, false),
  );
}

/** The mapping a dynamic template gives a new field (`{name}` and `{dynamic_type}` substituted). */
export function mappingFromTemplate(template: DynamicTemplate, name: string, detectedType: string): JsonObject {
  const substitute = (value: JsonValue): JsonValue => {
    if (typeof value === 'string') return value.replaceAll('{name}', name).replaceAll('{dynamic_type}', detectedType);
    if (Array.isArray(value)) return value.map(substitute);
    if (isJsonObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v)]));
    return value;
  };
  const mapping = substitute(template.mapping) as JsonObject;
  if (mapping.type === undefined) {
    const defaults: Record<string, string> = { string: 'text', long: 'long', double: 'float', boolean: 'boolean', date: 'date', object: 'object' };
    mapping.type = defaults[detectedType] ?? detectedType;
  }
  return mapping;
}

// ---- writing back ----

function leafToJson(field: LeafField): JsonObject {
  const json: JsonObject = { type: field.type, ...field.params };
  if (field.fields.size > 0) json.fields = Object.fromEntries([...field.fields].map(([n, f]) => [n, leafToJson(f)]));
  return json;
}

function nodeToJson(node: FieldNode): JsonObject {
  if (node.kind === 'leaf') return leafToJson(node);
  return {
    ...(node.explicitType ? { type: 'object' } : {}),
    ...(node.dynamic !== undefined ? { dynamic: node.dynamic } : {}),
    ...(!node.enabled ? { enabled: false } : {}),
    ...(node.properties.size > 0 ? { properties: propertiesToJson(node.properties) } : {}),
  };
}

function propertiesToJson(properties: ReadonlyMap<string, FieldNode>): JsonObject {
  // OpenSearch writes properties sorted by name.
  return Object.fromEntries([...properties].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, node]) => [name, nodeToJson(node)]));
}

/** The mapping as `GET _mapping` shows it (`{}` for an index without mappings). */
export function rootMappingToJson(root: RootMapping): JsonObject {
  return {
    ...(root.dynamic !== undefined ? { dynamic: root.dynamic } : {}),
    ...(root.meta !== undefined ? { _meta: root.meta } : {}),
    ...root.extras,
    ...(!root.sourceEnabled ? { _source: { enabled: false } } : {}),
    ...(root.dynamicDateFormats !== undefined ? { dynamic_date_formats: [...root.dynamicDateFormats] } : {}),
    ...(root.dynamicTemplates.length > 0 ? { dynamic_templates: root.dynamicTemplates.map((t) => ({ [t.name]: t.definition })) } : {}),
    ...(root.dateDetection !== undefined ? { date_detection: root.dateDetection } : {}),
    ...(root.numericDetection !== undefined ? { numeric_detection: root.numericDetection } : {}),
    ...(root.properties.size > 0 ? { properties: propertiesToJson(root.properties) } : {}),
  };
}

/** The formats dynamic date detection tries. */
export const dynamicDateFormatsOf = (root: RootMapping): readonly string[] => root.dynamicDateFormats ?? DEFAULT_DYNAMIC_DATE_FORMATS;

/**
 * Parsing a document against its index's mapping, as OpenSearch's `DocumentParser` does: every
 * value is coerced into its field's type (a value that cannot be is a `mapper_parsing_exception`
 * naming the field, the document and a preview of the value), unmapped fields follow `dynamic`
 * (`true` maps them, `false` keeps them only in `_source`, `strict` refuses the document), and
 * the mapping grows only when the whole document parsed.
 *
 * Dynamic mapping: strings → `text` with a `keyword` sub-field (`ignore_above: 256`), or `date`
 * when date detection matches (only strings with more than one `-`, `:` or `/`, like OpenSearch);
 * with `numeric_detection`, numeric strings → `long`/`float`; integers → `long`; other numbers →
 * `float`; booleans → `boolean`; objects → `object`. `dynamic_templates` are applied first.
 * @see https://opensearch.org/docs/latest/field-types/index/#dynamic-mapping
 */
import { analyze } from './analysis';
import { parseDate } from './dates';
import { illegalArgument, javaCause, mapperParsing, OpenSearchError } from './errors';
import { coerceFieldValue, FieldValueError, previewOf, type IndexedValue } from './field-values';
import { isJsonObject, type JsonObject, type JsonValue } from './json';
import {
  dynamicDateFormatsOf, effectiveDynamic, findDynamicTemplate, mappingFromTemplate, parseNode,
  type FieldNode, type LeafField, type ObjectField, type RootMapping,
} from './mapping';

/** What one field of a document indexes. Text fields keep their tokens, per value, for phrases. */
export interface IndexedField {
  readonly field: LeafField;
  readonly values: IndexedValue[];
  readonly tokenRuns?: string[][];
}

export interface ParsedDocument {
  /** Indexed values by full field path (multi-fields included, e.g. `name.keyword`). */
  readonly fields: ReadonlyMap<string, IndexedField>;
  /** The mapping with the fields this document added, or `undefined` if it added none. */
  readonly updatedMapping?: RootMapping;
}

const METADATA_FIELDS = new Set(['_id', '_index', '_source', '_routing', '_seq_no', '_version', '_primary_term', '_field_names', '_ignored', '_size', '_type']);
/** Lucene's limit on one indexed term. */
const MAX_TERM_BYTES = 32766;

interface Context {
  readonly root: RootMapping;
  readonly docId: string;
  readonly fields: Map<string, IndexedField>;
  /** Fields added to objects of the existing mapping, by the object's path (`''` for the root). */
  readonly additions: Map<string, Map<string, FieldNode>>;
  /** Objects created by this document (their properties are ours to fill). */
  readonly fresh: Set<ObjectField>;
}

function lookup(ctx: Context, object: ObjectField, objectPath: string, name: string): FieldNode | undefined {
  return object.properties.get(name) ?? (ctx.fresh.has(object) ? undefined : ctx.additions.get(objectPath)?.get(name));
}

function addField(ctx: Context, object: ObjectField, objectPath: string, name: string, node: FieldNode): void {
  if (ctx.fresh.has(object)) {
    object.properties.set(name, node);
    return;
  }
  let adds = ctx.additions.get(objectPath);
  if (adds === undefined) ctx.additions.set(objectPath, (adds = new Map<string, FieldNode>()));
  adds.set(name, node);
}

function typeFailure(ctx: Context, path: string, field: LeafField, value: JsonValue, cause: FieldValueError): OpenSearchError {
  return mapperParsing(
    `failed to parse field [${path}] of type [${field.type}] in document with id '${ctx.docId}'. Preview of field's value: '${previewOf(value)}'`,
    cause.errorCause,
  );
}

function record(ctx: Context, path: string, field: LeafField, value: IndexedValue, text?: string): void {
  let entry = ctx.fields.get(path);
  if (entry === undefined) {
    entry = { field, values: [], ...(field.type === 'text' ? { tokenRuns: [] } : {}) };
    ctx.fields.set(path, entry);
  }
  if (field.type === 'text' && text !== undefined) {
    const tokens = analyze(text, field.analyzer);
    entry.values.push(...tokens);
    entry.tokenRuns!.push(tokens);
  } else {
    entry.values.push(value);
  }
}

/** Indexes one scalar value into a leaf field and its multi-fields. */
function indexLeaf(ctx: Context, path: string, field: LeafField, raw: JsonValue): void {
  const value = raw === null ? (field.nullValue ?? null) : raw;
  if (value === null) return;
  let indexed: IndexedValue | undefined;
  try {
    indexed = coerceFieldValue(field.type, value, { coerce: field.coerce, format: field.format });
  } catch (error) {
    if (!(error instanceof FieldValueError)) throw error;
    if (field.ignoreMalformed && field.type !== 'keyword' && field.type !== 'text' && field.type !== 'boolean') return;
    throw typeFailure(ctx, path, field, value, error);
  }
  if (indexed === undefined) return;
  if (field.type === 'keyword') {
    const text = indexed as string;
    if (field.ignoreAbove !== undefined && text.length > field.ignoreAbove) return;
    const bytes = Buffer.from(text, 'utf8');
    if (field.indexed && bytes.length > MAX_TERM_BYTES) {
      const inner = `bytes can be at most ${MAX_TERM_BYTES} in length; got ${bytes.length}`;
      throw illegalArgument(
        `Document contains at least one immense term in field="${path}" (whose UTF8 encoding is longer than the max length ${MAX_TERM_BYTES}), all of which were skipped.  Please correct the analyzer to not produce such terms.  The prefix of the first immense term is: '[${[...bytes.subarray(0, 30)].join(', ')}]...', original message: ${inner}`,
        javaCause('max_bytes_length_exceeded_exception', inner),
      );
    }
  }
  if (field.indexed) record(ctx, path, field, indexed, field.type === 'text' ? (indexed as string) : undefined);
  for (const [name, sub] of field.fields) indexLeaf(ctx, `${path}.${name}`, sub, value);
}

function detectedTypeOf(ctx: Context, value: JsonValue): { detected: string; definition: JsonObject } {
  if (typeof value === 'boolean') return { detected: 'boolean', definition: { type: 'boolean' } };
  if (typeof value === 'number') return Number.isInteger(value) ? { detected: 'long', definition: { type: 'long' } } : { detected: 'double', definition: { type: 'float' } };
  const text = value as string;
  const count = (c: string): number => text.split(c).length - 1;
  if (ctx.root.dateDetection !== false && (count(':') > 1 || count('-') > 1 || count('/') > 1)) {
    for (const format of dynamicDateFormatsOf(ctx.root)) {
      try {
        parseDate(text, format);
      } catch {
        continue;
      }
      return { detected: 'date', definition: format === 'strict_date_optional_time||epoch_millis' ? { type: 'date' } : { type: 'date', format } };
    }
  }
  if (ctx.root.numericDetection === true) {
    if (/^[+-]?\d+$/.test(text.trim())) return { detected: 'long', definition: { type: 'long' } };
    if (text.trim() !== '' && Number.isFinite(Number(text))) return { detected: 'double', definition: { type: 'float' } };
  }
  return { detected: 'string', definition: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } } };
}

function strictError(name: string, objectPath: string): OpenSearchError {
  return new OpenSearchError(400, 'strict_dynamic_mapping_exception', `mapping set to strict, dynamic introduction of [${name}] within [${objectPath === '' ? '_doc' : objectPath}] is not allowed`);
}

function parseValue(ctx: Context, chain: ObjectField[], objectPath: string, name: string, value: JsonValue): void {
  if (value === null) {
    const node = lookup(ctx, chain[chain.length - 1]!, objectPath, name);
    if (node?.kind === 'leaf' && node.nullValue !== undefined) indexLeaf(ctx, objectPath === '' ? name : `${objectPath}.${name}`, node, null);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) parseValue(ctx, chain, objectPath, name, item);
    return;
  }
  const object = chain[chain.length - 1]!;
  const path = objectPath === '' ? name : `${objectPath}.${name}`;
  let node = lookup(ctx, object, objectPath, name);
  if (node === undefined) {
    const dynamic = effectiveDynamic(chain);
    if (dynamic === 'strict') throw strictError(name, objectPath);
    if (dynamic === 'false') return;
    if (isJsonObject(value)) {
      const template = findDynamicTemplate(ctx.root, name, path, 'object');
      node = template === undefined
        ? { kind: 'object', enabled: true, explicitType: false, properties: new Map() }
        : parseNode(path, mappingFromTemplate(template, name, 'object'));
    } else {
      const { detected, definition } = detectedTypeOf(ctx, value);
      const template = findDynamicTemplate(ctx.root, name, path, detected);
      node = parseNode(path, template === undefined ? definition : mappingFromTemplate(template, name, detected));
    }
    if (node.kind === 'object') ctx.fresh.add(node);
    addField(ctx, object, objectPath, name, node);
  }
  if (node.kind === 'object') {
    if (!isJsonObject(value)) {
      throw mapperParsing(`object mapping for [${path}] tried to parse field [${name}] as object, but found a concrete value`);
    }
    if (!node.enabled) return;
    parseObjectMembers(ctx, [...chain, node], path, value);
    return;
  }
  indexLeaf(ctx, path, node, value);
}

function parseObjectMembers(ctx: Context, chain: ObjectField[], objectPath: string, object: JsonObject): void {
  for (const [key, value] of Object.entries(object)) {
    if (key.trim() === '') throw mapperParsing(`field name cannot be an empty string`);
    if (objectPath === '' && METADATA_FIELDS.has(key)) {
      throw mapperParsing(`Field [${key}] is a metadata field and cannot be added inside a document. Use the index API request parameters.`);
    }
    if (key.includes('.')) {
      // `"a.b": 1` is `"a": {"b": 1}`.
      const segments = key.split('.');
      if (segments.some((s) => s === '')) throw mapperParsing(`object field starting or ending with a [.] makes object resolution ambiguous: [${key}]`);
      let nested: JsonValue = value;
      for (const segment of segments.slice(1).reverse()) nested = { [segment]: nested };
      parseValue(ctx, chain, objectPath, segments[0]!, nested);
    } else {
      parseValue(ctx, chain, objectPath, key, value);
    }
  }
}

function cloneObjects<T extends ObjectField>(node: T): T {
  const properties = new Map<string, FieldNode>();
  for (const [name, child] of node.properties) properties.set(name, child.kind === 'object' ? cloneObjects(child) : child);
  return { ...node, properties };
}

function objectAt(root: ObjectField, path: string): ObjectField {
  let node: ObjectField = root;
  if (path === '') return node;
  for (const segment of path.split('.')) {
    const next = node.properties.get(segment);
    if (next?.kind !== 'object') throw new Error(`mapping has no object at [${path}]`);
    node = next;
  }
  return node;
}

function countFields(node: ObjectField): number {
  let count = 0;
  for (const child of node.properties.values()) {
    count += 1;
    if (child.kind === 'object') count += countFields(child);
    else count += child.fields.size;
  }
  return count;
}

/** Limits of the index the document goes to. */
export interface ParseLimits {
  /** `index.mapping.total_fields.limit` (default 1000). */
  readonly totalFields: number;
}

/**
 * Parses `source` (the `_id` is only used in messages). Throws {@link OpenSearchError}
 * (`mapper_parsing_exception`, `strict_dynamic_mapping_exception`, `illegal_argument_exception`).
 */
export function parseDocument(root: RootMapping, source: JsonValue, docId: string, limits: ParseLimits = { totalFields: 1000 }): ParsedDocument {
  if (!isJsonObject(source)) throw mapperParsing('failed to parse', javaCause('not_x_content_exception', 'Compressor detection can only be called on some xcontent bytes or compressed xcontent bytes'));
  const ctx: Context = { root, docId, fields: new Map(), additions: new Map(), fresh: new Set() };
  parseObjectMembers(ctx, [root], '', source);
  if (ctx.additions.size === 0) return { fields: ctx.fields };
  const updated = cloneObjects(root);
  for (const [path, adds] of ctx.additions) {
    const target = objectAt(updated, path);
    for (const [name, node] of adds) target.properties.set(name, node);
  }
  if (countFields(updated) > limits.totalFields) throw illegalArgument(`Limit of total fields [${limits.totalFields}] has been exceeded`);
  return { fields: ctx.fields, updatedMapping: updated };
}

/**
 * The OpenSearch shape of a dataset, derived from its JSON Schema description (never written by
 * hand): an explicit mapping with one field per schema property, and a composable index template
 * that applies it to every index of the dataset.
 *
 * | column kind | field type | why                                                                |
 * |-------------|------------|--------------------------------------------------------------------|
 * | string      | `keyword`  | the pipeline's strings are identifiers and codes (ids, enums,      |
 * |             |            | patterns, URLs): filtered and aggregated exactly, never analysed   |
 * | timestamp   | `date`     | `strict_date_optional_time||epoch_millis`: ISO-8601 or epoch ms    |
 * | integer     | `long`     | JSON Schema integers are not bounded to 32 bits                    |
 * | number      | `double`   | no precision lost against the JSON value                           |
 * | boolean     | `boolean`  |                                                                    |
 *
 * The mapping is `dynamic: 'strict'`: a document with a field the schema does not declare is
 * rejected (`strict_dynamic_mapping_exception`) rather than silently growing the mapping, so a
 * producer that changes its payload shows up as failed records, not as a drifting index.
 * Nullable columns need nothing special: OpenSearch indexes a `null` as a missing value.
 */
import type { Column, DatasetSchema, JsonSchemaProperty } from './dataset-schema';

/** The date formats a timestamp field accepts: what the pipeline writes, and epoch milliseconds. */
export const OPENSEARCH_DATE_FORMAT = 'strict_date_optional_time||epoch_millis';

/**
 * Lucene rejects a single indexed term over 32,766 bytes, and a UTF-8 character takes up to 4:
 * a `keyword` longer than 8,191 characters would fail the whole document. Strings the schema
 * does not bound are kept in `_source` but not indexed past this length.
 */
export const KEYWORD_IGNORE_ABOVE = 8191;

/** One field of an OpenSearch mapping, as the pipeline derives them. */
export type OpenSearchFieldMapping =
  | { readonly type: 'keyword'; readonly ignore_above?: number }
  | { readonly type: 'date'; readonly format: string }
  | { readonly type: 'long' }
  | { readonly type: 'double' }
  | { readonly type: 'boolean' };

/** The `mappings` of an index: strict, with one field per schema property. */
export interface OpenSearchMapping {
  readonly dynamic: 'strict';
  readonly properties: Readonly<Record<string, OpenSearchFieldMapping>>;
}

/** Options of {@link indexTemplateOf}; settings left out take the domain's defaults. */
export interface IndexTemplateOptions {
  /** The index names the template applies to, e.g. `['telemetry-*']`. */
  readonly indexPatterns: readonly string[];
  /** Which template wins when several match an index name (higher wins; OpenSearch's default is 0). */
  readonly priority?: number;
  readonly shards?: number;
  readonly replicas?: number;
  /** e.g. `'1s'`, `'30s'`, or `'-1'` to refresh only on request. */
  readonly refreshInterval?: string;
}

/** The body of `PUT _index_template/<name>` (a composable index template). */
export interface IndexTemplateBody {
  readonly index_patterns: readonly string[];
  readonly priority?: number;
  readonly template: {
    readonly settings?: {
      readonly index: { readonly number_of_shards?: number; readonly number_of_replicas?: number; readonly refresh_interval?: string };
    };
    readonly mappings: OpenSearchMapping;
  };
  /** Where the template came from, so `GET _index_template` tells which schema made it. */
  readonly _meta: { readonly dataset: string; readonly schema?: string };
}

/**
 * Strings the schema declares as identifiers (an enum, a pattern, a UUID) or bounds to at most
 * {@link KEYWORD_IGNORE_ABOVE} characters: these are indexed whole, whatever their length.
 */
function isIdentifierOrBounded(property: JsonSchemaProperty | undefined): boolean {
  if (property === undefined) return false;
  if (Array.isArray(property.enum) || typeof property.pattern === 'string' || property.format === 'uuid') return true;
  return typeof property.maxLength === 'number' && property.maxLength <= KEYWORD_IGNORE_ABOVE;
}

function fieldOf(column: Column, property: JsonSchemaProperty | undefined): OpenSearchFieldMapping {
  switch (column.kind) {
    case 'string':
      return isIdentifierOrBounded(property) ? { type: 'keyword' } : { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE };
    case 'timestamp':
      return { type: 'date', format: OPENSEARCH_DATE_FORMAT };
    case 'integer':
      return { type: 'long' };
    case 'number':
      return { type: 'double' };
    case 'boolean':
      return { type: 'boolean' };
  }
}

/** The strict OpenSearch mapping of a dataset: one field per schema property, in schema order. */
export function openSearchMappingOf(schema: DatasetSchema): OpenSearchMapping {
  const properties: Record<string, OpenSearchFieldMapping> = {};
  for (const column of schema.columns) properties[column.name] = fieldOf(column, schema.document.properties[column.name]);
  return { dynamic: 'strict', properties };
}

/**
 * A composable index template (`PUT _index_template/<name>`) applying the dataset's mapping,
 * and the given settings, to every index matching `indexPatterns`.
 */
export function indexTemplateOf(schema: DatasetSchema, options: IndexTemplateOptions): IndexTemplateBody {
  if (options.indexPatterns.length === 0) throw new RangeError('an index template needs at least one index pattern');
  const index = {
    ...(options.shards !== undefined ? { number_of_shards: options.shards } : {}),
    ...(options.replicas !== undefined ? { number_of_replicas: options.replicas } : {}),
    ...(options.refreshInterval !== undefined ? { refresh_interval: options.refreshInterval } : {}),
  };
  return {
    index_patterns: [...options.indexPatterns],
    ...(options.priority !== undefined ? { priority: options.priority } : {}),
    template: {
      ...(Object.keys(index).length > 0 ? { settings: { index } } : {}),
      mappings: openSearchMappingOf(schema),
    },
    _meta: { dataset: schema.name, ...(schema.document.$id !== undefined ? { schema: schema.document.$id } : {}) },
  };
}

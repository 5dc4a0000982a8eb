/**
 * Composable index templates (`_index_template`): `index_patterns`, `template.settings` and
 * `template.mappings`, `priority` (the highest-priority match applies when an index is created),
 * `version` and `_meta`. Two templates with the same priority and overlapping patterns are
 * refused, as OpenSearch does. Component templates (`composed_of`) and data streams are not
 * implemented: a template naming them is refused.
 * @see https://opensearch.org/docs/latest/im-plugin/index-templates/
 */
import { illegalArgument, OpenSearchError } from './errors';
import { patternsOverlap, wildcardMatch } from './index-names';
import { isJsonObject, textOf, type JsonObject, type JsonValue } from './json';
import { parseRootMapping, type RootMapping } from './mapping';
import { flattenSettings, validateSettings, type FlatSettings } from './settings';

export interface IndexTemplate {
  readonly name: string;
  readonly indexPatterns: readonly string[];
  readonly priority: number;
  readonly settings: FlatSettings;
  readonly mappings?: RootMapping;
  /** The body as stored, for `GET _index_template`. */
  readonly body: JsonObject;
}

const TEMPLATE_KEYS = new Set(['index_patterns', 'template', 'priority', 'version', '_meta', 'composed_of', 'data_stream']);

/** Parses and validates a `PUT _index_template/{name}` body. */
export function parseIndexTemplate(name: string, body: JsonValue): IndexTemplate {
  if (!isJsonObject(body)) throw new OpenSearchError(400, 'parse_exception', 'request body is required');
  for (const key of Object.keys(body)) {
    if (!TEMPLATE_KEYS.has(key)) throw new OpenSearchError(400, 'x_content_parse_exception', `[1:2] [index_template] unknown field [${key}]`);
  }
  const patterns = typeof body.index_patterns === 'string' ? [body.index_patterns] : body.index_patterns;
  if (!Array.isArray(patterns) || patterns.length === 0 || patterns.some((p) => typeof p !== 'string')) {
    throw new OpenSearchError(400, 'action_request_validation_exception', 'Validation Failed: 1: index patterns are missing;');
  }
  if (Array.isArray(body.composed_of) && body.composed_of.length > 0) {
    throw illegalArgument(`index template [${name}] specifies component templates ${JSON.stringify(body.composed_of)}: the local OpenSearch emulator does not support component templates`);
  }
  if (body.data_stream !== undefined) throw illegalArgument(`index template [${name}]: the local OpenSearch emulator does not support data streams`);
  const priority = body.priority ?? 0;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0) throw illegalArgument(`index template priority requires a non-negative integer, got [${textOf(priority)}]`);
  const template = body.template ?? {};
  if (!isJsonObject(template)) throw new OpenSearchError(400, 'x_content_parse_exception', '[1:2] [index_template] failed to parse field [template]');
  const settings = flattenSettings(template.settings);
  validateSettings(settings);
  const mappings = template.mappings === undefined ? undefined : parseRootMapping(template.mappings as JsonObject);
  if (template.aliases !== undefined && isJsonObject(template.aliases) && Object.keys(template.aliases).length > 0) {
    throw illegalArgument(`index template [${name}]: the local OpenSearch emulator does not support aliases`);
  }
  return { name, indexPatterns: patterns as string[], priority, settings, mappings, body };
}

export class TemplateRegistry {
  private readonly templates = new Map<string, IndexTemplate>();

  /** Adds or replaces a template; refuses one that overlaps another of the same priority. */
  put(template: IndexTemplate, options: { create?: boolean } = {}): void {
    if (options.create === true && this.templates.has(template.name)) throw illegalArgument(`index template [${template.name}] already exists`);
    for (const other of this.templates.values()) {
      if (other.name === template.name || other.priority !== template.priority) continue;
      const overlapping = template.indexPatterns.some((p) => other.indexPatterns.some((q) => patternsOverlap(p, q)));
      if (overlapping) {
        throw illegalArgument(
          `index template [${template.name}] has index patterns ${JSON.stringify(template.indexPatterns).replaceAll('"', '')} matching patterns from existing templates [${other.name}] with patterns (${other.name} => ${JSON.stringify(other.indexPatterns).replaceAll('"', '')}) that have the same priority [${template.priority}], multiple index templates may not match during index creation, please use a different priority`,
        );
      }
    }
    this.templates.set(template.name, template);
  }

  get(name: string): IndexTemplate | undefined {
    return this.templates.get(name);
  }

  /** Templates whose name matches a wildcard expression (`*` or a comma list); all when absent. */
  find(expression: string | undefined): IndexTemplate[] {
    const all = [...this.templates.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    if (expression === undefined || expression === '' || expression === '*') return all;
    const parts = expression.split(',');
    return all.filter((t) => parts.some((p) => wildcardMatch(p, t.name)));
  }

  delete(name: string): boolean {
    return this.templates.delete(name);
  }

  clear(): void {
    this.templates.clear();
  }

  /** The template that applies to a new index: the highest priority among those matching its name. */
  matching(indexName: string): IndexTemplate | undefined {
    let best: IndexTemplate | undefined;
    for (const template of this.templates.values()) {
      if (!template.indexPatterns.some((p) => wildcardMatch(p, indexName))) continue;
      if (best === undefined || template.priority > best.priority) best = template;
    }
    return best;
  }

  /** `GET _index_template` entry. */
  static toJson(template: IndexTemplate): JsonObject {
    const body = template.body;
    return {
      name: template.name,
      index_template: {
        index_patterns: [...template.indexPatterns],
        ...(body.template !== undefined ? { template: body.template } : {}),
        composed_of: [],
        ...(body.priority !== undefined ? { priority: body.priority } : {}),
        ...(body.version !== undefined ? { version: body.version } : {}),
        ...(body._meta !== undefined ? { _meta: body._meta } : {}),
      },
    };
  }
}

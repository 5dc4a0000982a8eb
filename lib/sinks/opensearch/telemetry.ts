/**
 * How telemetry readings are laid out in OpenSearch: one index per UTC day (`telemetry-2026.11.25`,
 * so retention is deleting old indices, and a day's searches touch one index), one document per
 * reading with an id derived from the reading's identity, and the schema's fields only, so every
 * document fits the strict mapping computed from schemas/telemetry.json.
 */
import type { IndexTemplateBody, IndexTemplateOptions } from '../../schemas/opensearch-mapping';
import { indexTemplateOf } from '../../schemas/opensearch-mapping';
import { getSchema } from '../../schemas/registry';
import type { Reading } from '../../telemetry/reading';

export const DEFAULT_TELEMETRY_INDEX_PREFIX = 'telemetry';

/** The suffix of the template's name: the consumer installs it as `<prefix>-template`. */
export const TELEMETRY_TEMPLATE_NAME = 'template';

/** The daily index of a reading, `<prefix>-YYYY.MM.DD`, by the reading's UTC day. */
export function telemetryIndexOf(reading: Pick<Reading, 'timestamp'>, prefix: string = DEFAULT_TELEMETRY_INDEX_PREFIX): string {
  // `timestamp` is normalised to UTC (`2026-11-25T22:00:00.005Z`): its date part is the UTC day.
  const t = reading.timestamp;
  return `${prefix}-${t.slice(0, 4)}.${t.slice(5, 7)}.${t.slice(8, 10)}`;
}

/**
 * The document id of a reading, `<device_id>_<timestampMs>`: the same identity as `readingId`
 * (device and instant; the normalised timestamp and its epoch ms determine each other), so a
 * re-sent or replayed reading overwrites its document. Readable in Dashboards, unlike a hash;
 * URL-safe and at most 81 bytes, since device ids are `[a-z0-9-]{3,64}` (no `_`, so the
 * separator is unambiguous); OpenSearch allows 512.
 */
export function telemetryDocumentId(reading: Pick<Reading, 'device_id' | 'timestampMs'>): string {
  return `${reading.device_id}_${reading.timestampMs}`;
}

let fields: readonly (keyof Reading)[] | undefined;

/**
 * The document of a reading: exactly the schema's fields, with `timestamp` in its normalised
 * UTC form. `timestampMs` is left out: it repeats `timestamp`, and the strict mapping, computed
 * from the schema alone, has no field for it.
 */
export function telemetryDocumentOf(reading: Reading): Record<string, unknown> {
  fields ??= getSchema('telemetry').columns.map((c) => c.name as keyof Reading);
  const document: Record<string, unknown> = {};
  for (const field of fields) document[field] = reading[field];
  return document;
}

/**
 * The composable index template of the telemetry indices `<prefix>-*`, from the schema.
 *
 * - One primary shard: a day of a 50-device fleet at one reading a second is ≈ 1 GB, well under
 *   the 10–50 GiB per shard AWS recommends; more shards would only add overhead.
 * - Priority `100 + prefix.length`: the longer, more specific prefix wins where two overlap
 *   (`telemetry-*` and `telemetry-eu-*`), and overlapping templates never share a priority,
 *   which OpenSearch refuses.
 * - Replicas and refresh interval are the domain's defaults unless given.
 */
export function telemetryIndexTemplate(
  prefix: string = DEFAULT_TELEMETRY_INDEX_PREFIX,
  options: Partial<Omit<IndexTemplateOptions, 'indexPatterns'>> = {},
): IndexTemplateBody {
  return indexTemplateOf(getSchema('telemetry'), { priority: 100 + prefix.length, shards: 1, ...options, indexPatterns: [`${prefix}-*`] });
}

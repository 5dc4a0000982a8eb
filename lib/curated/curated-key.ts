/**
 * Where a raw Firehose object's Parquet goes: the same Hive partitions under the curated
 * prefix, the same object name with `.parquet` — one raw object, one curated object, the same
 * key on every run, so a replayed notification overwrites rather than duplicates.
 */
export interface CuratedLayout {
  /** e.g. `raw/` */
  readonly rawPrefix: string;
  /** e.g. `curated/` */
  readonly curatedPrefix: string;
  /** e.g. `curated-errors/`: bad lines, as JSON lines, beside their source's name. */
  readonly errorPrefix: string;
}

export const DEFAULT_LAYOUT: CuratedLayout = { rawPrefix: 'raw/', curatedPrefix: 'curated/', errorPrefix: 'curated-errors/' };

export class NotARawObjectError extends Error {
  override readonly name = 'NotARawObjectError';
}

/** Partition path and object name of a raw key, e.g. `event_type=click/dt=2026-11-25/` and `stream-1-…`. */
function splitRawKey(key: string, layout: CuratedLayout): { partitions: string; name: string } {
  if (!key.startsWith(layout.rawPrefix)) throw new NotARawObjectError(`${key} is not under ${layout.rawPrefix}`);
  const rest = key.slice(layout.rawPrefix.length);
  const slash = rest.lastIndexOf('/');
  const partitions = rest.slice(0, slash + 1);
  // Only Hive-style segments (name=value) are partitions; anything else is not ours to map.
  if (partitions && !partitions.split('/').filter(Boolean).every((segment) => /^[A-Za-z_][A-Za-z0-9_]*=[^/]+$/.test(segment))) {
    throw new NotARawObjectError(`${key}: expected Hive-style partitions (name=value/…) after ${layout.rawPrefix}`);
  }
  return { partitions, name: rest.slice(slash + 1).replace(/\.gz$/, '') };
}

export function curatedKeyOf(rawKey: string, layout: CuratedLayout = DEFAULT_LAYOUT): string {
  const { partitions, name } = splitRawKey(rawKey, layout);
  return `${layout.curatedPrefix}${partitions}${name}.parquet`;
}

export function errorKeyOf(rawKey: string, layout: CuratedLayout = DEFAULT_LAYOUT): string {
  const { partitions, name } = splitRawKey(rawKey, layout);
  return `${layout.errorPrefix}${partitions}${name}.jsonl`;
}

/** The Hive partition values of a raw key, e.g. `{ event_type: 'click', dt: '2026-11-25' }`. */
export function partitionsOf(rawKey: string, layout: CuratedLayout = DEFAULT_LAYOUT): Record<string, string> {
  const { partitions } = splitRawKey(rawKey, layout);
  return Object.fromEntries(partitions.split('/').filter(Boolean).map((segment) => {
    const eq = segment.indexOf('=');
    return [segment.slice(0, eq), decodeURIComponent(segment.slice(eq + 1))];
  }));
}

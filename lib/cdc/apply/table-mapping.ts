/**
 * Which DynamoDB table a source table's rows go to: `<prefix><schema>-<table>` by default
 * (`shardline-dev-` + `shop` + `customers` → `shardline-dev-shop-customers`), with explicit
 * overrides per `schema.table`. On Lambda both come from the environment:
 * `CDC_TARGET_TABLE_PREFIX` and `CDC_TABLE_MAPPING` (`{"shop.customers": "customers-v2"}`).
 */
import { TableMappingError } from './errors';

/** `(schema, table)` of a source table → the name of its DynamoDB table. */
export type TargetTableOf = (schema: string, table: string) => string;

export interface TargetTableResolverOptions {
  /** Prepended to `<schema>-<table>`. Default `''`. */
  readonly prefix?: string;
  /** Overrides by `schema.table`; a table named here ignores the prefix. */
  readonly mapping?: Readonly<Record<string, string>>;
}

/** DynamoDB table names: 3–255 characters of `a-z A-Z 0-9 _ - .`. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

function checkedName(name: string, origin: string): string {
  if (!TABLE_NAME.test(name)) throw new TableMappingError(`${origin}: ${JSON.stringify(name)} is not a valid DynamoDB table name (3–255 of a-z A-Z 0-9 _ - .)`);
  return name;
}

/**
 * A resolver for the default naming and the overrides. Names are checked when they are made, so a
 * bad prefix or mapping fails loudly (a configuration error) instead of sending every change of
 * a table to the failure destination.
 * @throws {TableMappingError} for a mapping entry that is not a valid table name (at once) or a derived name that is not (when asked).
 */
export function targetTableResolver(options: TargetTableResolverOptions = {}): TargetTableOf {
  const prefix = options.prefix ?? '';
  const mapping = new Map<string, string>();
  for (const [source, target] of Object.entries(options.mapping ?? {})) {
    if (!/^[^.]+\.[^.]+$/.test(source)) throw new TableMappingError(`mapping key ${JSON.stringify(source)} is not "schema.table"`);
    mapping.set(source, checkedName(target, `mapping of ${source}`));
  }
  const derived = new Map<string, string>();
  return (schema, table) => {
    const source = `${schema}.${table}`;
    const mapped = mapping.get(source);
    if (mapped !== undefined) return mapped;
    let name = derived.get(source);
    if (name === undefined) derived.set(source, (name = checkedName(`${prefix}${schema}-${table}`, `target table of ${source}`)));
    return name;
  };
}

/** Parses `CDC_TABLE_MAPPING`: a JSON object of `"schema.table": "target table"`. */
export function parseTableMapping(json: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new TableMappingError(`CDC_TABLE_MAPPING is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TableMappingError('CDC_TABLE_MAPPING must be a JSON object of "schema.table": "target table"');
  const mapping: Record<string, string> = {};
  for (const [source, target] of Object.entries(parsed)) {
    if (typeof target !== 'string') throw new TableMappingError(`CDC_TABLE_MAPPING["${source}"] must be a string`);
    mapping[source] = target;
  }
  return mapping;
}

/** The resolver the environment describes: `CDC_TARGET_TABLE_PREFIX` (default `''`) and optional `CDC_TABLE_MAPPING`. */
export function targetTableResolverFromEnv(env: NodeJS.ProcessEnv = process.env): TargetTableOf {
  const mapping = env.CDC_TABLE_MAPPING;
  return targetTableResolver({ prefix: env.CDC_TARGET_TABLE_PREFIX ?? '', ...(mapping ? { mapping: parseTableMapping(mapping) } : {}) });
}

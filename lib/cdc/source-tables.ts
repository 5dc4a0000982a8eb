/**
 * The CDC source tables contract (`schemas/cdc/shop.json`): PostgreSQL column types, nullability
 * and primary keys, typed; and the canonical values of change-event.ts for each column type,
 * whatever a format carried. The JSON is imported (not read from disk) so bundlers ship it
 * inside each Lambda artifact.
 */
import shop from '../../schemas/cdc/shop.json';
import type { ChangeFormatError, ColumnValue, RowImage } from './change-event';
import { ChangeFormatError as FormatError } from './change-event';
import { parseBigint, parseBoolean, parseChar, parseInteger, parseNumeric, parseSmallint, parseText, parseTimestamptz, parseUuid, PgValueError } from './formats/pg-values';

/** A PostgreSQL column type the CDC sources use, parsed from its SQL spelling. */
export type PgType =
  | { readonly kind: 'bigint' }
  | { readonly kind: 'integer' }
  | { readonly kind: 'smallint' }
  | { readonly kind: 'numeric'; readonly precision: number | undefined; readonly scale: number | undefined }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'text' }
  | { readonly kind: 'char'; readonly length: number }
  | { readonly kind: 'uuid' }
  | { readonly kind: 'timestamptz' };

export interface SourceColumn {
  readonly name: string;
  /** The type as written in the schema file (`numeric(14,2)`). */
  readonly typeName: string;
  readonly type: PgType;
  readonly nullable: boolean;
}

export interface SourceTable {
  readonly schema: string;
  readonly table: string;
  /** Columns in the schema file's order (the order DMS writes them in CSV files). */
  readonly columns: readonly SourceColumn[];
  readonly columnsByName: ReadonlyMap<string, SourceColumn>;
  /** Primary-key column names in key order. */
  readonly keyColumns: readonly string[];
}

export interface SourceTables {
  readonly schema: string;
  /** By table name (without the schema). */
  readonly tables: ReadonlyMap<string, SourceTable>;
}

/** The formats' names, as ChangeFormatError carries them. */
export type ChangeFormatName = ChangeFormatError['format'];

/** A source-tables document that does not describe valid tables. */
export class SourceTablesError extends Error {
  override readonly name = 'SourceTablesError';
}

const TYPE_SPELLINGS: Readonly<Record<string, PgType>> = {
  bigint: { kind: 'bigint' },
  int8: { kind: 'bigint' },
  integer: { kind: 'integer' },
  int: { kind: 'integer' },
  int4: { kind: 'integer' },
  smallint: { kind: 'smallint' },
  int2: { kind: 'smallint' },
  boolean: { kind: 'boolean' },
  bool: { kind: 'boolean' },
  text: { kind: 'text' },
  varchar: { kind: 'text' },
  uuid: { kind: 'uuid' },
  timestamptz: { kind: 'timestamptz' },
  'timestamp with time zone': { kind: 'timestamptz' },
};

/** `numeric(14,2)` → `{ kind: 'numeric', precision: 14, scale: 2 }`; throws SourceTablesError for other types. */
export function parsePgType(spelling: string): PgType {
  const text = spelling.trim().toLowerCase();
  const simple = TYPE_SPELLINGS[text];
  if (simple) return simple;
  const numeric = /^(?:numeric|decimal)(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?$/.exec(text);
  if (numeric) {
    const precision = numeric[1] === undefined ? undefined : Number(numeric[1]);
    const scale = precision === undefined ? undefined : Number(numeric[2] ?? 0);
    if (precision !== undefined && (precision < 1 || precision > 1000 || scale! > precision)) throw new SourceTablesError(`invalid numeric type ${spelling}`);
    return { kind: 'numeric', precision, scale };
  }
  const char = /^(?:char|character|bpchar)(?:\(\s*(\d+)\s*\))?$/.exec(text);
  if (char) return { kind: 'char', length: Number(char[1] ?? 1) };
  const varchar = /^(?:varchar|character varying)\(\s*\d+\s*\)$/.exec(text);
  if (varchar) return { kind: 'text' };
  throw new SourceTablesError(`unsupported PostgreSQL type ${JSON.stringify(spelling)}`);
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads and checks a source-tables document (the shape of `schemas/cdc/shop.json`). */
export function loadSourceTables(document: unknown): SourceTables {
  if (!isRecord(document) || typeof document.schema !== 'string' || !isRecord(document.tables)) {
    throw new SourceTablesError('expected { schema: string, tables: { … } }');
  }
  const schema = document.schema;
  const tables = new Map<string, SourceTable>();
  for (const [table, definition] of Object.entries(document.tables)) {
    if (!isRecord(definition) || !Array.isArray(definition.key) || !isRecord(definition.columns)) {
      throw new SourceTablesError(`${schema}.${table}: expected { key: string[], columns: { … } }`);
    }
    const columns: SourceColumn[] = [];
    for (const [name, column] of Object.entries(definition.columns)) {
      if (!isRecord(column) || typeof column.type !== 'string' || typeof column.nullable !== 'boolean') {
        throw new SourceTablesError(`${schema}.${table}.${name}: expected { type: string, nullable: boolean }`);
      }
      columns.push({ name, typeName: column.type, type: parsePgType(column.type), nullable: column.nullable });
    }
    const columnsByName = new Map(columns.map((c) => [c.name, c]));
    const keyColumns = definition.key.map((k) => {
      if (typeof k !== 'string' || !columnsByName.has(k)) throw new SourceTablesError(`${schema}.${table}: key column ${JSON.stringify(k)} is not a column`);
      if (columnsByName.get(k)!.nullable) throw new SourceTablesError(`${schema}.${table}: key column ${k} is nullable`);
      return k;
    });
    if (keyColumns.length === 0) throw new SourceTablesError(`${schema}.${table}: no primary key`);
    tables.set(table, { schema, table, columns, columnsByName, keyColumns });
  }
  return { schema, tables };
}

/** The tables of `schemas/cdc/shop.json`. */
export const shopTables: SourceTables = loadSourceTables(shop);

/** The table `schema.table` of {@link shopTables} (or of `tables`), or undefined if it is not a source table. */
export function sourceTable(schema: string, table: string, tables: SourceTables = shopTables): SourceTable | undefined {
  return schema === tables.schema ? tables.tables.get(table) : undefined;
}

/** Where a value sits, for the error that names it: `{ format: 'dms-kinesis', field: 'data.balance' }`. */
export interface ValueLocation {
  readonly format: ChangeFormatName;
  readonly field: string;
}

/**
 * The canonical ColumnValue (change-event.ts) of a value a format carried for a column of
 * `type`: `bigint`/`numeric` → exact decimal strings (numeric with its scale: `12.50`),
 * `integer` → number, `boolean` → boolean, `text`/`char(n)`/`uuid` → strings (char blank-padded,
 * uuid lower-case), `timestamptz` → `YYYY-MM-DDTHH:MM:SS.ffffffZ`, null → null. Throws
 * ChangeFormatError naming `where.field` when the value does not fit the type.
 */
export function canonicalValue(type: PgType | string, value: unknown, where: ValueLocation): ColumnValue {
  if (value === null) return null;
  const pgType = typeof type === 'string' ? parsePgType(type) : type;
  try {
    switch (pgType.kind) {
      case 'bigint':
        return parseBigint(value);
      case 'integer':
        return parseInteger(value);
      case 'smallint':
        return parseSmallint(value);
      case 'numeric':
        return parseNumeric(value, pgType.precision, pgType.scale);
      case 'boolean':
        return parseBoolean(value);
      case 'text':
        return parseText(value);
      case 'char':
        return parseChar(value, pgType.length);
      case 'uuid':
        return parseUuid(value);
      case 'timestamptz':
        return parseTimestamptz(value);
    }
  } catch (error) {
    if (error instanceof PgValueError) throw new FormatError(where.format, where.field, error.message);
    throw error;
  }
}

export interface CanonicalRowOptions {
  readonly format: ChangeFormatName;
  /** Prefix of the field names in errors (`data` → `data.balance`). */
  readonly path: string;
  /**
   * Check NOT NULL columns (true for after images). Before images of deletes and key-only
   * updates carry nulls for the columns the source did not send (PostgreSQL's default replica
   * identity logs the key only), so they are not checked.
   */
  readonly checkNullability?: boolean;
}

/**
 * The canonical row image of `image` for `table`: every column canonicalised with
 * {@link canonicalValue}. Columns absent from `image` stay absent (DMS omits NULL columns unless
 * `IncludeNullAndEmpty` is set); a column the table does not have is an error.
 */
export function canonicalRow(table: SourceTable, image: Readonly<Record<string, unknown>>, options: CanonicalRowOptions): RowImage {
  const row: Record<string, ColumnValue> = {};
  for (const [name, value] of Object.entries(image)) {
    const field = `${options.path}.${name}`;
    const column = table.columnsByName.get(name);
    if (!column) throw new FormatError(options.format, field, `not a column of ${table.schema}.${table.table}`);
    if (value === null && options.checkNullability && !column.nullable) throw new FormatError(options.format, field, `null in NOT NULL column ${column.name}`);
    row[name] = canonicalValue(column.type, value, { format: options.format, field });
  }
  return row;
}

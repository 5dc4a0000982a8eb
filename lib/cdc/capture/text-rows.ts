/**
 * Rows read through `pg` as PostgreSQL's own text, typed into canonical {@link ColumnValue}s by
 * each column's type OID — never through `pg`'s default parsers (which turn a `timestamptz` into a
 * JS Date and drop its microseconds).
 */
import type { ClientBase, CustomTypesConfig, FieldDef } from 'pg';
import type { ColumnValue, RowImage } from '../change-event';
import { pgTextToColumnValue } from './pg-values';

const identity = (value: string): string => value;

/** A `types` setting for `pg` queries that leaves every value as the server's text. */
export const TEXT_TYPES: CustomTypesConfig = { getTypeParser: () => identity };

/** Turns rows read with `rowMode: 'array'` and {@link TEXT_TYPES} into canonical row images. */
export function canonicalRows(fields: readonly FieldDef[], rows: readonly (readonly (string | null)[])[]): RowImage[] {
  return rows.map((values) => {
    const row: Record<string, ColumnValue> = {};
    fields.forEach((field, i) => {
      row[field.name] = pgTextToColumnValue(field.dataTypeID, values[i] ?? null);
    });
    return row;
  });
}

/** Runs a query and returns its rows as canonical row images. The session must be in ISO date style. */
export async function queryCanonicalRows(client: ClientBase, text: string, values: unknown[] = []): Promise<RowImage[]> {
  const result = await client.query<(string | null)[]>({ text, values, rowMode: 'array', types: TEXT_TYPES });
  return canonicalRows(result.fields, result.rows);
}

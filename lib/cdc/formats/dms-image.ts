/**
 * Row images in DMS's own value forms, both ways, shared by the Kinesis (JSON) and S3 (CSV)
 * formats: splitting the before-image columns DMS's `add-before-image-columns` rule adds
 * (`BI_<column>`) from the row, and turning canonical values into what DMS writes.
 */
import type { ColumnValue, RowImage } from '../change-event';
import { ChangeFormatError } from '../change-event';
import type { ChangeFormatName, SourceColumn, SourceTable } from '../source-tables';
import { canonicalRow, canonicalValue } from '../source-tables';

/** DMS's `before-image-def` naming: `column-prefix` (default `BI_`) and `column-suffix` (default empty). */
export interface BeforeImageColumnNaming {
  readonly prefix: string;
  readonly suffix: string;
}

export const DEFAULT_BEFORE_IMAGE_COLUMNS: BeforeImageColumnNaming = { prefix: 'BI_', suffix: '' };

/**
 * The source column a key of a DMS row names as a before-image column, or undefined when the
 * key is a column of its own. With the table known, `BI_x` is a before-image column only if `x`
 * is a column and `BI_x` is not; without it, any key with the prefix and suffix is one.
 */
export function beforeImageColumnOf(key: string, naming: BeforeImageColumnNaming, table: SourceTable | undefined): string | undefined {
  if (naming.prefix === '' && naming.suffix === '') return undefined;
  if (!key.startsWith(naming.prefix) || !key.endsWith(naming.suffix) || key.length <= naming.prefix.length + naming.suffix.length) return undefined;
  const column = key.slice(naming.prefix.length, key.length - naming.suffix.length);
  if (!table) return column;
  return table.columnsByName.has(column) && !table.columnsByName.has(key) ? column : undefined;
}

const isPrimitive = (value: unknown): value is ColumnValue => value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/**
 * A row image as the change event holds it: canonical values when the table is known, else the
 * values as they came (JSON primitives only; a nested value is an error).
 */
export function imageOf(
  raw: Readonly<Record<string, unknown>>,
  table: SourceTable | undefined,
  format: ChangeFormatName,
  path: string,
  checkNullability: boolean,
): RowImage {
  if (table) return canonicalRow(table, raw, { format, path, checkNullability });
  const image: Record<string, ColumnValue> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!isPrimitive(value)) throw new ChangeFormatError(format, `${path}.${name}`, `expected a string, number, boolean or null, got ${Array.isArray(value) ? 'an array' : 'an object'}`);
    image[name] = value;
  }
  return image;
}

/**
 * Checks that a value the capture hands over is already canonical for its column (the encoders
 * write canonical values only, so a mistake upstream fails here, not in the replay).
 */
export function assertCanonical(column: SourceColumn, value: ColumnValue, where: string): void {
  let canonical: ColumnValue;
  try {
    canonical = canonicalValue(column.type, value, { format: 'dms-kinesis', field: where });
  } catch (error) {
    if (error instanceof ChangeFormatError) throw new RangeError(`${where}: ${error.reason}`, { cause: error });
    throw error;
  }
  if (canonical !== value) throw new RangeError(`${where}: ${JSON.stringify(value)} is not canonical for ${column.typeName} (expected ${JSON.stringify(canonical)})`);
}

/** The image's columns in table order (then any others in their own order). */
export function orderedColumns(image: RowImage, table: SourceTable | undefined): string[] {
  if (!table) return Object.keys(image);
  const known = table.columns.map((c) => c.name).filter((name) => Object.hasOwn(image, name));
  const extra = Object.keys(image).filter((name) => !table.columnsByName.has(name));
  if (extra.length > 0) throw new RangeError(`${table.schema}.${table.table} has no column ${extra.map((e) => JSON.stringify(e)).join(', ')}`);
  return known;
}

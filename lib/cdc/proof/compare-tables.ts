/**
 * The CDC proof's comparison: every row of a source table against the items of its DynamoDB
 * target table, column by column. Values are compared as values, not spellings: DynamoDB keeps
 * numbers without trailing zeros (`12.50` is stored as `12.5`), so decimals compare by their
 * exact normalised text; everything else must match exactly.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ColumnValue, RowImage } from '../change-event';
import type { SourceTable } from '../source-tables';

/** One way the target differs from the source. */
export interface RowDifference {
  readonly table: string;
  /** The primary key, as `column=value` pairs. */
  readonly key: string;
  readonly kind: 'missing in target' | 'not in source' | 'value differs';
  readonly column?: string;
  readonly source?: ColumnValue;
  readonly target?: ColumnValue | undefined;
}

/** `-0012.5000` → `-12.5`; `0.0` → `0`: the exact value of a decimal text, spelled one way. */
export function normaliseDecimal(text: string): string {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!match) return text;
  const whole = match[2]!.replace(/^0+/, '');
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  if (whole === '' && fraction === '') return '0';
  return `${match[1] === '-' ? '-' : ''}${whole || '0'}${fraction ? `.${fraction}` : ''}`;
}

/** Attribute names the replay adds to each item (position, operation, tombstone markers). */
export const isReplayMetadata = (attribute: string): boolean => attribute.startsWith('_cdc_');

/** An item as a row of the source table's columns; `undefined` for a tombstone. */
export function rowOfItem(table: SourceTable, item: Readonly<Record<string, AttributeValue>>): RowImage | undefined {
  if (item._cdc_deleted?.BOOL === true) return undefined;
  const row: Record<string, ColumnValue> = {};
  for (const [name, value] of Object.entries(item)) {
    if (isReplayMetadata(name)) continue;
    const kind = table.columnsByName.get(name)?.type.kind;
    if (value.NULL) row[name] = null;
    else if (value.BOOL !== undefined) row[name] = value.BOOL;
    else if (value.N !== undefined) row[name] = kind === 'integer' || kind === 'smallint' ? Number(value.N) : value.N;
    else if (value.S !== undefined) row[name] = value.S;
    else row[name] = JSON.stringify(value);
  }
  return row;
}

function sameValue(table: SourceTable, column: string, a: ColumnValue | undefined, b: ColumnValue | undefined): boolean {
  const kind = table.columnsByName.get(column)?.type.kind;
  if ((kind === 'numeric' || kind === 'bigint') && typeof a === 'string' && typeof b === 'string') return normaliseDecimal(a) === normaliseDecimal(b);
  return a === b;
}

const keyOf = (table: SourceTable, row: RowImage): string => table.keyColumns.map((column) => `${column}=${String(row[column])}`).join(',');

/** Every difference between the source rows and the target items (tombstones count as absent). */
export function compareTable(table: SourceTable, sourceRows: readonly RowImage[], targetItems: readonly Readonly<Record<string, AttributeValue>>[]): RowDifference[] {
  const name = `${table.schema}.${table.table}`;
  const differences: RowDifference[] = [];
  const targets = new Map<string, RowImage>();
  for (const item of targetItems) {
    const row = rowOfItem(table, item);
    if (row) targets.set(keyOf(table, row), row);
  }
  for (const source of sourceRows) {
    const key = keyOf(table, source);
    const target = targets.get(key);
    targets.delete(key);
    if (!target) {
      differences.push({ table: name, key, kind: 'missing in target' });
      continue;
    }
    for (const column of table.columns.map((c) => c.name)) {
      if (!sameValue(table, column, source[column], target[column])) {
        differences.push({ table: name, key, kind: 'value differs', column, source: source[column] ?? null, target: target[column] });
      }
    }
  }
  for (const key of targets.keys()) differences.push({ table: name, key, kind: 'not in source' });
  return differences;
}

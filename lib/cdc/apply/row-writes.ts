/**
 * A row change → the DynamoDB writes it stands for, each aimed at one target row (table + key):
 * - load, insert: put the after image;
 * - update: put the after image; when the primary key changed (the before image's key differs
 *   from the after image's), also delete the old key's item;
 * - delete: delete the before image's key.
 *
 * Every write carries the change's position; the applier makes it conditional on the stored
 * item being older, so writes can be applied in any order, any number of times. Everything
 * DynamoDB would refuse about the values is found here and thrown as a {@link ChangeRejection}.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ColumnValue, RowChange, RowImage, RowOperation } from '../change-event';
import { positionKey } from '../change-event';
import { formatDecimal, parseDecimal } from '../../sinks/dynamodb/decimal';
import { itemBytes, MAX_ITEM_BYTES } from '../../sinks/dynamodb/item-size';
import { attributeValueOf, inferredKind } from './attribute-values';
import { ChangeRejection } from './errors';
import { CDC_ATTRIBUTES, CDC_COMMIT_TIMESTAMP, CDC_OPERATION, CDC_POSITION } from './item-attributes';
import type { ApplyTableSpec } from './table-specs';
import { columnKindOf, keyKindOf } from './table-specs';

/** DynamoDB's key size limits (UTF-8 bytes of a string key). */
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;

/** A target row: a table and the key of one item in it. */
export interface TargetRow {
  readonly table: string;
  /** The key attributes, in the table's key order. */
  readonly key: Readonly<Record<string, AttributeValue>>;
  /** The HASH attribute's name (the put condition tests its absence). */
  readonly hashKey: string;
  /** Table and canonical key in one string: equal for two keys DynamoDB sees as one item (`12.50` and `12.5`). */
  readonly rowId: string;
}

/** One conditional write of a change to one target row. */
export interface RowWrite extends TargetRow {
  /** The caller's ref of the change (several writes may share one). */
  readonly ref: number;
  readonly action: 'put' | 'delete';
  /** The full item of a put (metadata attributes included). */
  readonly item: Readonly<Record<string, AttributeValue>> | undefined;
  /** {@link positionKey} of the change. */
  readonly position: string;
  readonly operation: RowOperation | 'truncate';
  readonly commitTimestamp: string | undefined;
  /** Arrival order within the batch: between two writes at one position, the first one wins (as applying them in order would). */
  readonly arrival: number;
}

function keyPart(column: string, value: ColumnValue | undefined, spec: ApplyTableSpec, maxBytes: number): { value: AttributeValue; canonical: string } {
  if (value === undefined || value === null) throw new ChangeRejection('MissingKey', `key column ${column} is ${value === null ? 'null' : 'missing'}`);
  const kind = keyKindOf(spec.columnTypes[column]);
  if (kind === 'S' && typeof value !== 'string') throw new ChangeRejection('InvalidKey', `key column ${column}: expected text, got ${JSON.stringify(value)}`);
  const attribute = attributeValueOf(column, value, kind);
  if (attribute.S !== undefined) {
    if (attribute.S.length === 0) throw new ChangeRejection('InvalidKey', `key column ${column} is an empty string (DynamoDB keys cannot be)`);
    if (Buffer.byteLength(attribute.S, 'utf8') > maxBytes) throw new ChangeRejection('InvalidKey', `key column ${column} is over ${maxBytes} bytes`);
    return { value: attribute, canonical: `s${attribute.S}` };
  }
  return { value: attribute, canonical: `n${formatDecimal(parseDecimal(attribute.N!))}` };
}

/** The target row an image's key columns name. */
export function targetRowOf(table: string, spec: ApplyTableSpec, image: RowImage): TargetRow {
  const key: Record<string, AttributeValue> = {};
  const canonical: string[] = [];
  spec.keyColumns.forEach((column, i) => {
    const part = keyPart(column, image[column], spec, i === 0 ? MAX_PARTITION_KEY_BYTES : MAX_SORT_KEY_BYTES);
    key[column] = part.value;
    canonical.push(part.canonical);
  });
  return { table, key, hashKey: spec.keyColumns[0]!, rowId: `${table}\u0000${JSON.stringify(canonical)}` };
}

/**
 * The full item of a put: every column of the after image, plus the `_cdc_*` metadata. An after
 * image is a whole row, so a known column it lacks is NULL (DMS leaves NULL columns out unless
 * the endpoint sets `IncludeNullAndEmpty`): every item of a table has every column.
 */
function itemOf(row: TargetRow, spec: ApplyTableSpec, after: RowImage, change: RowChange, position: string): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {};
  for (const column of Object.keys(spec.columnTypes)) if (!Object.hasOwn(after, column)) item[column] = { NULL: true };
  for (const [column, value] of Object.entries(after)) {
    if (CDC_ATTRIBUTES.has(column)) throw new ChangeRejection('ReservedAttribute', `source column ${column} collides with the applier's metadata attribute`);
    item[column] = row.key[column] ?? attributeValueOf(column, value, columnKindOf(spec, column) ?? inferredKind(value));
  }
  item[CDC_POSITION] = { S: position };
  item[CDC_OPERATION] = { S: change.operation };
  if (change.commitTimestamp !== undefined) item[CDC_COMMIT_TIMESTAMP] = { S: change.commitTimestamp };
  const bytes = itemBytes(item);
  if (bytes > MAX_ITEM_BYTES) throw new ChangeRejection('ItemTooLarge', `the item is ${bytes} bytes; DynamoDB stores at most ${MAX_ITEM_BYTES}`);
  return item;
}

/** The image a key is read from, with the key columns of `over` laid over it (a before image may carry the key columns only). */
const keyImage = (base: RowImage, over: RowImage | undefined, spec: ApplyTableSpec): RowImage => {
  if (over === undefined) return base;
  const merged: Record<string, ColumnValue> = { ...base };
  for (const column of spec.keyColumns) if (over[column] !== undefined && over[column] !== null) merged[column] = over[column];
  return merged;
};

/**
 * The writes of one row change, for the target `table` whose source is described by `spec`.
 * @throws {ChangeRejection} when the change cannot be stored (missing key, bad value, too large).
 */
export function rowWritesOf(change: RowChange, ref: number, arrival: number, table: string, spec: ApplyTableSpec): RowWrite[] {
  const position = positionKey(change.position);
  const common = { ref, position, operation: change.operation, commitTimestamp: change.commitTimestamp, arrival };
  if (change.operation === 'delete') {
    const image = change.before ?? change.after;
    if (image === undefined) throw new ChangeRejection('MissingKey', 'a delete without a before image names no row');
    return [{ ...targetRowOf(table, spec, image), ...common, action: 'delete', item: undefined }];
  }
  if (change.after === undefined) throw new ChangeRejection('MissingKey', `an ${change.operation} without an after image`);
  const row = targetRowOf(table, spec, change.after);
  const put: RowWrite = { ...row, ...common, action: 'put', item: itemOf(row, spec, change.after, change, position) };
  if (change.operation !== 'update' || change.before === undefined) return [put];
  const old = targetRowOf(table, spec, keyImage(change.after, change.before, spec));
  // A primary-key update: the old key's row is gone at this position.
  return old.rowId === row.rowId ? [put] : [{ ...old, ...common, action: 'delete', item: undefined }, put];
}

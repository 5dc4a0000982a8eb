/**
 * The three conditional requests the applier sends, each guarded by the stored item's position so
 * that no write ever moves a row backwards:
 * - put (load, insert, update, and tombstones): `attribute_not_exists(<hash key>) OR _cdc_position < :position`;
 * - delete (deletes in `remove` mode, truncates): `_cdc_position < :position` — an absent item fails
 *   the condition too, and there is nothing to delete then.
 * A failed condition (ConditionalCheckFailedException) means the stored row is as new or newer
 * (or, for a delete, already absent): the write is a no-op and counts as a success.
 */
import type { AttributeValue, DeleteItemCommandInput, PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { CDC_COMMIT_TIMESTAMP, CDC_DELETED, CDC_EXPIRES_AT, CDC_OPERATION, CDC_POSITION } from './item-attributes';
import type { RowWrite, TargetRow } from './row-writes';

export const PUT_IF_OLDER = 'attribute_not_exists(#hash) OR #position < :position';
export const DELETE_IF_OLDER = '#position < :position';

export function conditionalPut(table: string, hashKey: string, item: Readonly<Record<string, AttributeValue>>, position: string): PutItemCommandInput {
  return {
    TableName: table,
    Item: { ...item },
    ConditionExpression: PUT_IF_OLDER,
    ExpressionAttributeNames: { '#hash': hashKey, '#position': CDC_POSITION },
    ExpressionAttributeValues: { ':position': { S: position } },
  };
}

export function conditionalDelete(row: TargetRow, position: string): DeleteItemCommandInput {
  return {
    TableName: row.table,
    Key: { ...row.key },
    ConditionExpression: DELETE_IF_OLDER,
    ExpressionAttributeNames: { '#position': CDC_POSITION },
    ExpressionAttributeValues: { ':position': { S: position } },
  };
}

/** A tombstone: the key, `_cdc_deleted`, the delete's position and a TTL, so an older change of the row can never re-create it while the tombstone lives. */
export function tombstoneItem(row: TargetRow, write: Pick<RowWrite, 'position' | 'operation' | 'commitTimestamp'>, expiresAtSeconds: number): Record<string, AttributeValue> {
  return {
    ...row.key,
    [CDC_DELETED]: { BOOL: true },
    [CDC_POSITION]: { S: write.position },
    [CDC_OPERATION]: { S: write.operation === 'truncate' ? 'truncate' : 'delete' },
    ...(write.commitTimestamp === undefined ? {} : { [CDC_COMMIT_TIMESTAMP]: { S: write.commitTimestamp } }),
    [CDC_EXPIRES_AT]: { N: String(expiresAtSeconds) },
  };
}

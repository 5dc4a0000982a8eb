/**
 * The attributes the applier adds to every item it writes. Their names start with `_cdc_` so that
 * they cannot be mistaken for source columns (a source column with such a name is rejected).
 */

/** The change's {@link positionKey}: fixed-width text that sorts like the positions. Every condition compares it. */
export const CDC_POSITION = '_cdc_position';
/** `load`, `insert`, `update`, `delete` (tombstones), or `truncate` (tombstones a truncate left). */
export const CDC_OPERATION = '_cdc_operation';
/** The source's commit time (ISO-8601 UTC), when the change carried one. */
export const CDC_COMMIT_TIMESTAMP = '_cdc_commit_timestamp';
/** `true` on a tombstone: the row is deleted; readers skip such items. */
export const CDC_DELETED = '_cdc_deleted';
/** Tombstones only: when DynamoDB's TTL may remove the tombstone (epoch seconds). Enable TTL on this attribute. */
export const CDC_EXPIRES_AT = '_cdc_expires_at';

export const CDC_ATTRIBUTES: ReadonlySet<string> = new Set([CDC_POSITION, CDC_OPERATION, CDC_COMMIT_TIMESTAMP, CDC_DELETED, CDC_EXPIRES_AT]);

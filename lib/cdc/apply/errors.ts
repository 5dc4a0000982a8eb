/** Errors of the change applier that are about its configuration, not about particular changes. */

/** Options the applier cannot work with; thrown by its constructor. */
export class InvalidApplierOptionsError extends Error {
  override readonly name = 'InvalidApplierOptionsError';
}

/** `CDC_TABLE_MAPPING` (or a mapping given in code) is not a JSON object of `"schema.table": "target table"`. */
export class TableMappingError extends Error {
  override readonly name = 'TableMappingError';
}

/**
 * Why one change cannot be stored, found before any request: the codes a `permanent` sink
 * failure carries (the consumer puts them in the poison record's reason).
 * - `UnknownSourceTable`: no key definition for the change's `schema.table`;
 * - `MissingKey`: a key column is absent or null in the image the key is read from;
 * - `InvalidKey`: a key value DynamoDB refuses (empty string, over the key size limit);
 * - `InvalidValue`: a value that does not fit its column type, or a number DynamoDB cannot hold
 *   (over 38 significant digits, out of range, `NaN`, `Infinity`);
 * - `ReservedAttribute`: a source column named like one of the applier's `_cdc_*` attributes;
 * - `ItemTooLarge`: the item is over DynamoDB's 400 KB.
 */
export type ChangeRejectionCode = 'UnknownSourceTable' | 'MissingKey' | 'InvalidKey' | 'InvalidValue' | 'ReservedAttribute' | 'ItemTooLarge';

/** A change that cannot become a DynamoDB write; carried as a value, never thrown out of the applier. */
export class ChangeRejection extends Error {
  override readonly name = 'ChangeRejection';

  constructor(readonly code: ChangeRejectionCode, message: string) {
    super(message);
  }
}

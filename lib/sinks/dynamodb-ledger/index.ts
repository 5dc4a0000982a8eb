/** The ledger worker's store: entries applied in order per account, with a running balance, exactly once in effect. */
export type { LedgerTables } from './tables';
export { LEDGER_TABLE_KEYS } from './tables';
export type { LedgerDynamoDbSinkOptions, LedgerSinkResult, LedgerSinkStats } from './ledger-sink';
export { entryItem, LedgerDynamoDbSink } from './ledger-sink';

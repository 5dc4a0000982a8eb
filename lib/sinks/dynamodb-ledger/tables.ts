/**
 * The two tables of the ledger worker: their injected names and fixed key schemas (serverless.yml
 * declares the same keys; the sink writes these attribute names).
 */
import type { TableKeyDefinition } from '../dynamodb/tables';

/** Physical table names, injected (from the function's environment on AWS). */
export interface LedgerTables {
  /**
   * One item per applied entry, with the balance after it. HASH `account_id` (S), RANGE
   * `sequence` (N): an account's ledger reads back in order with one Query.
   */
  readonly entries: string;
  /** One item per account: `last_sequence` (N) applied, running `balance` (N), `currency`. HASH `account_id` (S). */
  readonly accounts: string;
}

/** The key schema of each table, e.g. to create them for tests or locally. */
export const LEDGER_TABLE_KEYS: Readonly<Record<keyof LedgerTables, TableKeyDefinition>> = {
  entries: {
    KeySchema: [{ AttributeName: 'account_id', KeyType: 'HASH' }, { AttributeName: 'sequence', KeyType: 'RANGE' }],
    AttributeDefinitions: [{ AttributeName: 'account_id', AttributeType: 'S' }, { AttributeName: 'sequence', AttributeType: 'N' }],
  },
  accounts: {
    KeySchema: [{ AttributeName: 'account_id', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'account_id', AttributeType: 'S' }],
  },
};

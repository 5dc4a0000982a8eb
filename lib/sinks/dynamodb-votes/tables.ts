/**
 * The two tables of the votes worker: their injected names and fixed key schemas (serverless.yml
 * declares the same keys; the sink writes these attribute names).
 */
import type { TableKeyDefinition } from '../dynamodb/tables';

/** Physical table names, injected (from the function's environment on AWS). */
export interface VoteTables {
  /** One item per vote: the record that it was counted. HASH `vote_id` (S). */
  readonly votes: string;
  /** One item per poll and option: `votes` (N), the count. HASH `poll_id` (S), RANGE `option` (S). */
  readonly tallies: string;
}

/** The key schema of each table, e.g. to create them for tests or locally. */
export const VOTE_TABLE_KEYS: Readonly<Record<keyof VoteTables, TableKeyDefinition>> = {
  votes: {
    KeySchema: [{ AttributeName: 'vote_id', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'vote_id', AttributeType: 'S' }],
  },
  tallies: {
    KeySchema: [{ AttributeName: 'poll_id', KeyType: 'HASH' }, { AttributeName: 'option', KeyType: 'RANGE' }],
    AttributeDefinitions: [{ AttributeName: 'poll_id', AttributeType: 'S' }, { AttributeName: 'option', AttributeType: 'S' }],
  },
};

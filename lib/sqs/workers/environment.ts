/** The environment variables the SQS workers read (serverless.yml sets them per function). */

/** Names of the variables, for serverless.yml and tests. */
export const SQS_WORKER_ENV = {
  /** Standard worker: the votes table (HASH `vote_id`). */
  votesTable: 'VOTES_TABLE',
  /** Standard worker: the tallies table (HASH `poll_id`, RANGE `option`). */
  voteTalliesTable: 'VOTE_TALLIES_TABLE',
  /** FIFO worker: the ledger entries table (HASH `account_id`, RANGE `sequence` N). */
  ledgerTable: 'LEDGER_TABLE',
  /** FIFO worker: the accounts table (HASH `account_id`). */
  accountsTable: 'ACCOUNTS_TABLE',
  /** Both: `true` to delete an Extended Client payload from S3 once its message succeeded (default `false`). */
  deletePayloadAfterSuccess: 'DELETE_PAYLOAD_AFTER_SUCCESS',
} as const;

/** A variable with a value the function cannot use: a deployment error, reported at the first invocation. */
export class InvalidEnvironmentError extends Error {
  override readonly name = 'InvalidEnvironmentError';

  constructor(readonly variable: string, readonly value: string, expected: string) {
    super(`environment variable ${variable}=${JSON.stringify(value)}: expected ${expected}`);
  }
}

/** `true`/`false` (any case; `1`/`0` too), or `fallback` when unset or empty. */
export function booleanEnv(variable: string, fallback: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[variable];
  if (value === undefined || value.trim() === '') return fallback;
  const normalised = value.trim().toLowerCase();
  if (normalised === 'true' || normalised === '1') return true;
  if (normalised === 'false' || normalised === '0') return false;
  throw new InvalidEnvironmentError(variable, value, 'true or false');
}

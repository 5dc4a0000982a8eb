/** The two SQS jobs' domain: votes (standard queue) and ledger entries (FIFO queue), decoded from message bodies. */
export type { Vote } from './vote';
export { decodeVote } from './vote';
export type { LedgerEntry } from './ledger-entry';
export { decodeLedgerEntry } from './ledger-entry';
export { decodeJsonMessage } from './json-message';
export { booleanEnv, InvalidEnvironmentError, SQS_WORKER_ENV } from './environment';

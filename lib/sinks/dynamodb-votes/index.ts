/** The votes worker's store: votes recorded once, tallies incremented exactly once in effect. */
export type { VoteTables } from './tables';
export { VOTE_TABLE_KEYS } from './tables';
export type { VotesDynamoDbSinkOptions, VotesSinkResult, VotesSinkStats } from './votes-sink';
export { voteItem, VotesDynamoDbSink } from './votes-sink';

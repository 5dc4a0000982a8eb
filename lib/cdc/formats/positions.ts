/**
 * ChangePosition helpers shared by the formats. Two commit domains exist (change-event.ts):
 * PostgreSQL commit LSNs as 16 upper-case hex digits, and commit times as
 * `YYYY-MM-DDTHH:MM:SS.ffffffZ` for sources that give no LSN. A stream uses one of them.
 */
import type { ChangePosition } from '../change-event';

/**
 * The commit of full-load rows: 16 zeros, below every LSN (`0/0` is never a commit) and below
 * every commit time (`'0000…' < '0001-…'`), so a snapshot sorts before all captured changes in
 * either domain.
 */
export const SNAPSHOT_COMMIT = '0000000000000000';

/** Where full-load rows sit: {@link SNAPSHOT_COMMIT}, sequence 0. */
export const SNAPSHOT_POSITION: ChangePosition = Object.freeze({ commit: SNAPSHOT_COMMIT, sequence: 0 });

const LSN_COMMIT = /^[0-9A-F]{16}$/;

/** Whether a commit string is in the LSN domain (16 upper-case hex digits). */
export const isLsnCommit = (commit: string): boolean => LSN_COMMIT.test(commit);

/** `00000000016B3748` → `0/16B3748`: the inverse of lsnToCommitPosition, in PostgreSQL's `pg_lsn` text form. */
export function commitPositionToLsn(commit: string): string {
  if (!isLsnCommit(commit)) throw new RangeError(`not an LSN commit position: ${JSON.stringify(commit)}`);
  const high = parseInt(commit.slice(0, 8), 16);
  const low = parseInt(commit.slice(8), 16);
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}

/** A 64-bit LSN as a number or decimal string (Debezium's `source.lsn`) → its commit-position form. */
export function lsnNumberToCommitPosition(lsn: number | string | bigint): string {
  const value = BigInt(lsn);
  if (value < 0n || value >= 1n << 64n) throw new RangeError(`LSN out of range: ${String(lsn)}`);
  return value.toString(16).toUpperCase().padStart(16, '0');
}

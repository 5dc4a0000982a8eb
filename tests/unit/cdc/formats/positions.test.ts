import fc from 'fast-check';
import { comparePositions, lsnToCommitPosition } from '../../../../lib/cdc/change-event';
import { epochToTimestamp, timestampToEpochMicros } from '../../../../lib/cdc/formats/pg-values';
import { commitPositionToLsn, isLsnCommit, lsnNumberToCommitPosition, SNAPSHOT_POSITION } from '../../../../lib/cdc/formats/positions';
import { canonicalTimestamp, lsnPosition } from './arbitraries';

describe('positions', () => {
  test('commitPositionToLsn is the inverse of lsnToCommitPosition', () => {
    expect(commitPositionToLsn('00000000016B3748')).toBe('0/16B3748');
    expect(commitPositionToLsn('000000020000000F')).toBe('2/F');
    expect(lsnNumberToCommitPosition(24023128)).toBe('00000000016E9058');
    expect(lsnNumberToCommitPosition('18446744073709551615')).toBe('FFFFFFFFFFFFFFFF');
    expect(() => lsnNumberToCommitPosition(-1)).toThrow(RangeError);
    expect(() => commitPositionToLsn('2026-01-01T00:00:00.000000Z')).toThrow(RangeError);
    fc.assert(
      fc.property(lsnPosition, ({ commit }) => {
        expect(isLsnCommit(commit)).toBe(true);
        expect(lsnToCommitPosition(commitPositionToLsn(commit))).toBe(commit);
      }),
    );
  });

  test('the snapshot sorts before every LSN and every commit time', () => {
    fc.assert(
      fc.property(fc.oneof(lsnPosition, canonicalTimestamp.map((commit) => ({ commit, sequence: 0 }))), (position) => {
        expect(comparePositions(SNAPSHOT_POSITION, position)).toBeLessThan(0);
      }),
    );
  });

  test('commit times sort as strings in time order, and epoch conversions are exact', () => {
    fc.assert(
      fc.property(canonicalTimestamp, canonicalTimestamp, (a, b) => {
        expect(Math.sign(a < b ? -1 : a > b ? 1 : 0)).toBe(Math.sign(Number(timestampToEpochMicros(a) - timestampToEpochMicros(b))));
        expect(epochToTimestamp(timestampToEpochMicros(a), 'us')).toBe(a);
      }),
    );
    expect(epochToTimestamp(-1n, 'us')).toBe('1969-12-31T23:59:59.999999Z');
    expect(epochToTimestamp(1764108000123n, 'ms')).toBe('2025-11-25T22:00:00.123000Z');
  });
});

/**
 * A batch's writes grouped by target row, newest first. Under the conditional writes, the final
 * state of a row after applying any set of its writes, in any order, is the effect of the one with
 * the greatest position (or the stored item, if that is newer still): a put or a delete that
 * loses to a newer one changes nothing in the end. So for each row only the newest write is
 * sent — a delete then an insert of a key collapses to the insert, an insert then updates to the
 * last update, an update then a delete to the delete — and the others are folded into it: they
 * succeed or fail with it. The older candidates are kept in order, for when the newest cannot be
 * stored at all (a rejected value): then the next newest is the row's last good state.
 */
import type { RowWrite } from './row-writes';

export interface RowGroup {
  readonly rowId: string;
  /** Candidates, newest first; between equal positions, the earliest arrival first. */
  readonly writes: RowWrite[];
}

/** Newest position first; at one position the first to arrive (applying in arrival order, the first would win and the rest fail their condition). */
export const newestFirst = (a: RowWrite, b: RowWrite): number => (a.position < b.position ? 1 : a.position > b.position ? -1 : a.arrival - b.arrival);

export function groupByRow(writes: readonly RowWrite[]): RowGroup[] {
  const groups = new Map<string, RowWrite[]>();
  for (const write of writes) {
    const group = groups.get(write.rowId);
    if (group === undefined) groups.set(write.rowId, [write]);
    else group.push(write);
  }
  return [...groups].map(([rowId, group]) => ({ rowId, writes: group.sort(newestFirst) }));
}

/**
 * Order per message group under partial failure. SQS keeps a FIFO group in the order messages are
 * accepted, so a message that fails and is resent after a later one of its group was accepted
 * lands behind it. The schedule prevents that: a group has at most one batch in flight, a batch
 * carries only the group's next messages, and the group's later messages wait until that batch
 * (retries included) is settled. When one of its messages fails for good, the group stops: the
 * rest is reported, never sent out of order.
 */
export interface SchedulableMessage {
  readonly groupId: string;
  readonly bytes: number;
}

export interface FifoScheduleLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Messages of one group in one batch: 1 keeps order whatever fails; more risks it when an entry fails after a later one of its group succeeded. */
  readonly perGroup: number;
}

export class FifoSchedule<T extends SchedulableMessage> {
  /** Waiting messages per group, in order; groups in order of first appearance. */
  private readonly waiting = new Map<string, T[]>();
  private readonly inFlight = new Set<string>();

  constructor(messages: readonly T[], private readonly limits: FifoScheduleLimits) {
    for (const message of messages) {
      const queue = this.waiting.get(message.groupId);
      if (queue) queue.push(message);
      else this.waiting.set(message.groupId, [message]);
    }
  }

  /** True while messages wait (in flight ones excluded). */
  get hasWaiting(): boolean {
    return this.waiting.size > 0;
  }

  /**
   * The next batch: the heads of groups with nothing in flight, in group order, within the batch
   * limits. Its groups are in flight until {@link settle}. Empty when every waiting group is in flight.
   */
  nextBatch(): T[] {
    const batch: T[] = [];
    let bytes = 0;
    for (const [groupId, queue] of this.waiting) {
      if (batch.length === this.limits.maxEntries) break;
      if (this.inFlight.has(groupId)) continue;
      let taken = 0;
      while (queue.length > 0 && taken < this.limits.perGroup && batch.length < this.limits.maxEntries && bytes + queue[0]!.bytes <= this.limits.maxBytes) {
        const message = queue.shift()!;
        batch.push(message);
        bytes += message.bytes;
        taken++;
      }
      if (taken > 0) this.inFlight.add(groupId);
      if (queue.length === 0) this.waiting.delete(groupId);
    }
    return batch;
  }

  /** Ends a batch: its groups may go on, except `stopped` ones, whose waiting messages are returned (not to be sent). */
  settle(batch: readonly T[], stopped: ReadonlySet<string>): T[] {
    const dropped: T[] = [];
    for (const { groupId } of batch) {
      this.inFlight.delete(groupId);
      if (!stopped.has(groupId)) continue;
      const queue = this.waiting.get(groupId);
      if (queue) dropped.push(...queue);
      this.waiting.delete(groupId);
    }
    return dropped;
  }
}

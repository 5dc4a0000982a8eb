/** A sink that keeps (or only counts) what it is given: for tests, benchmarks and dry runs. */
import type { ChangeEvent } from '../../change-event';
import type { CaptureSink } from '../sink';

export interface MemorySinkOptions {
  /** Keep every change in {@link MemorySink.changes} (default true); false only counts them. */
  readonly keep?: boolean;
}

export class MemorySink implements CaptureSink {
  /** Every change written, in order (when kept). */
  readonly changes: ChangeEvent[] = [];
  /** Changes written. */
  count = 0;
  /** Calls of `write`. */
  writes = 0;
  private readonly keep: boolean;

  constructor(options: MemorySinkOptions = {}) {
    this.keep = options.keep ?? true;
  }

  write(changes: readonly ChangeEvent[]): Promise<void> {
    this.writes++;
    this.count += changes.length;
    if (this.keep) for (const change of changes) this.changes.push(change);
    return Promise.resolve();
  }
}

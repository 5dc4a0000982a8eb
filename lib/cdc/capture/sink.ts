/**
 * Where the capture delivers changes. The capture confirms a transaction to the replication slot
 * only after `write` resolved for it, so a sink must resolve only once every change it was given
 * is durable, and reject otherwise (some may have landed: they will be delivered again).
 */
import type { ChangeEvent } from '../change-event';

export interface CaptureSink {
  /**
   * Writes changes, in the order given: full-load rows (operation `load`) first, then whole
   * committed transactions in commit order. Resolves when all are durable.
   * @throws {SinkWriteError} (or any error) when some were not written.
   */
  write(changes: readonly ChangeEvent[]): Promise<void>;
}

/** A sink could not make a write durable: `failed` of `total` changes were not written. */
export class SinkWriteError extends Error {
  override readonly name = 'SinkWriteError';
  constructor(
    message: string,
    readonly failed: number,
    readonly total: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

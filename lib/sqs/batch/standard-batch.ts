/**
 * Partial-batch logic for a standard queue: every message stands alone. The decoded messages go to
 * the store in one call (so it can group writes, e.g. one tally update for many votes); only the
 * messages that failed — poison, or still failing after the store's own retries — are reported
 * to Lambda, which deletes the others. A redelivered failed message is applied once in effect
 * because the store is idempotent.
 */
import type { SqsBatchResult } from './batch-result';
import { batchResult, writeToSink } from './batch-result';
import type { WorkerSink } from './message-outcome';
import type { PreparedMessage } from './prepare-messages';

/** Writes a standard queue's prepared batch and answers for each message. Throws only what the store throws. */
export async function processStandardBatch<T>(prepared: readonly PreparedMessage<T>[], sink: WorkerSink<T>): Promise<SqsBatchResult> {
  const outcomes = await writeToSink(prepared, sink);
  return batchResult(prepared, outcomes.map((outcome) => outcome!));
}

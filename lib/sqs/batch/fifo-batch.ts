/**
 * Partial-batch logic for a FIFO queue: order is kept per message group, failures stop only their
 * own group.
 *
 * Lambda hands a FIFO batch over with each group's messages in order. Once a message of a group
 * fails (poison, or transient after the store's retries), the later messages of that group in the
 * batch are not attempted and are reported failed too (`blocked`), so that SQS delivers the group
 * again from the failed message on, in order. The other groups' messages go on and are deleted.
 *
 * Powertools' `SqsFifoPartialProcessor` by default fails every message after the first failure,
 * whatever its group (its `skipGroupOnError` option does what this does). Per group is safe: SQS
 * orders messages only within a group — there is no order between groups to protect — and it does
 * not hand out the rest of a group while any of its messages is in flight, so the reported
 * messages come back in their original order, after the failed one. Failing other groups would
 * only delay them and spend their receive counts toward `maxReceiveCount`, sending healthy
 * messages to the DLQ behind one poison message.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
import type { MessageOutcome, SqsBatchResult } from './batch-result';
import { batchResult, writeToSink } from './batch-result';
import type { WorkerSink } from './message-outcome';
import type { PreparedMessage } from './prepare-messages';

/** A message's group; messages without one (not from a FIFO queue) share one group, which keeps them in order. */
const groupOf = (prepared: PreparedMessage<unknown>): string => prepared.record.attributes.MessageGroupId ?? '';

/**
 * Writes a FIFO queue's prepared batch and answers for each message. Each group is passed to the
 * store up to its first message that failed to resolve or decode; after the store's answer, every
 * message of a group after its first failure is reported `blocked` (a message already known to be
 * poison keeps that reason). Throws only what the store throws.
 */
export async function processFifoBatch<T>(prepared: readonly PreparedMessage<T>[], sink: WorkerSink<T>): Promise<SqsBatchResult> {
  // Groups that already have a message failed before the store: the store gets nothing after it.
  const stopped = new Set<string>();
  const eligible = prepared.map((p) => {
    const group = groupOf(p);
    if (stopped.has(group)) return false;
    if (!p.ok) stopped.add(group);
    return p.ok;
  });
  const written = await writeToSink(prepared, sink, (ref) => eligible[ref]!);

  const firstFailure = new Map<string, string>();
  const outcomes = written.map((outcome, index): MessageOutcome => {
    const p = prepared[index]!;
    const group = groupOf(p);
    const after = firstFailure.get(group);
    if (after === undefined) {
      // Not after a failure: it was given to the store (or failed before it).
      if (!outcome!.ok) firstFailure.set(group, p.record.messageId);
      return outcome!;
    }
    if (!p.ok && p.failure.kind === 'poison') return { ok: false, failure: p.failure };
    return { ok: false, failure: { kind: 'blocked', after, message: `message ${after} of group ${JSON.stringify(group)} failed earlier in the batch` } };
  });
  return batchResult(prepared, outcomes);
}

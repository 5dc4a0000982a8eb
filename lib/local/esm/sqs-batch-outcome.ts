/**
 * What an SQS-triggered function's answer means to its event source mapping, by AWS's rules for
 * `ReportBatchItemFailures`: a null answer, no `batchItemFailures` or an empty list is success
 * (every message is deleted); a list of `itemIdentifier`s (message ids) fails those messages only;
 * an item identifier that is empty, not a string or not a message id of the batch — or a
 * `batchItemFailures` that is not a list — fails the whole batch. Without
 * `ReportBatchItemFailures` the answer is ignored: only a thrown error fails a batch.
 *
 * FIFO: Lambda keeps order within a message group, so after a failed message the later messages
 * of the same group in the batch must not be deleted either. Reporting them is the function's job
 * (Powertools does it); when a function reports an earlier message but not the later ones of its
 * group, this treats that as the function's error and holds the later ones back too
 * (`heldForOrder`), so that a retry delivers the group in order.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */

/** The part of a batch's message that its outcome depends on. */
export interface SqsBatchMessage {
  readonly messageId: string;
  /** FIFO queues only. */
  readonly messageGroupId?: string;
}

/** How the mapping reads a function's answer. */
export interface SqsBatchOutcomeOptions {
  /** The mapping's `FunctionResponseTypes` include `ReportBatchItemFailures`. */
  readonly reportBatchItemFailures: boolean;
  /** The queue is FIFO: order within a message group is kept across failures. */
  readonly fifo: boolean;
}

export type SqsBatchOutcome =
  /** Every message succeeded: all are deleted. */
  | { readonly kind: 'success' }
  /**
   * Some messages failed: `failed` (reported by the function) and `heldForOrder` (later messages
   * of a FIFO group with a failed message, not reported) are kept; the others are deleted. Ids in
   * batch order.
   */
  | { readonly kind: 'partial'; readonly failed: readonly string[]; readonly heldForOrder: readonly string[] }
  /** The whole batch failed: nothing is deleted. */
  | { readonly kind: 'failure'; readonly reason: string };

/** The outcome of a batch whose invocation answered `response` (it did not throw). */
export function sqsBatchOutcome(messages: readonly SqsBatchMessage[], response: unknown, options: SqsBatchOutcomeOptions): SqsBatchOutcome {
  if (!options.reportBatchItemFailures || response === null || response === undefined || typeof response !== 'object') return { kind: 'success' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'failure', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  const ids = new Set(messages.map((m) => m.messageId));
  const reported = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !ids.has(id)) {
      return { kind: 'failure', reason: `invalid itemIdentifier ${JSON.stringify(id) ?? 'undefined'}: not a message id of the batch` };
    }
    reported.add(id);
  }
  const failed: string[] = [];
  const heldForOrder: string[] = [];
  const blockedGroups = new Set<string>();
  for (const { messageId, messageGroupId } of messages) {
    const group = options.fifo ? messageGroupId : undefined;
    if (reported.has(messageId)) {
      failed.push(messageId);
      if (group !== undefined) blockedGroups.add(group);
    } else if (group !== undefined && blockedGroups.has(group)) {
      heldForOrder.push(messageId);
    }
  }
  return { kind: 'partial', failed, heldForOrder };
}

/** The ids of the batch's messages to delete after an outcome, in batch order. */
export function messageIdsToDelete(messages: readonly SqsBatchMessage[], outcome: SqsBatchOutcome): string[] {
  if (outcome.kind === 'failure') return [];
  if (outcome.kind === 'success') return messages.map((m) => m.messageId);
  const kept = new Set([...outcome.failed, ...outcome.heldForOrder]);
  return messages.map((m) => m.messageId).filter((id) => !kept.has(id));
}

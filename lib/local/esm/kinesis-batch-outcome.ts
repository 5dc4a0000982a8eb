/**
 * What a Kinesis-triggered function's answer means to its event source mapping, by AWS's rules
 * for `ReportBatchItemFailures`: a null answer, no `batchItemFailures` or an empty list is
 * success; otherwise Lambda checkpoints at the lowest reported sequence number and retries
 * from there; an item identifier that is empty, not a string or not in the batch fails the
 * whole batch.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
 */

export type BatchOutcome =
  | { readonly kind: 'success' }
  /** Retry from this index of the batch (the record with the lowest reported sequence number). */
  | { readonly kind: 'partial'; readonly retryFrom: number }
  | { readonly kind: 'failure'; readonly reason: string };

export function kinesisBatchOutcome(sequenceNumbers: readonly string[], response: unknown, reportBatchItemFailures: boolean): BatchOutcome {
  if (!reportBatchItemFailures || response === null || response === undefined || typeof response !== 'object') return { kind: 'success' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'failure', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  let lowest: bigint | undefined;
  for (const failure of failures as unknown[]) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !/^\d+$/.test(id) || !sequenceNumbers.includes(id)) {
      return { kind: 'failure', reason: `invalid itemIdentifier ${JSON.stringify(id)}` };
    }
    const sequence = BigInt(id);
    if (lowest === undefined || sequence < lowest) lowest = sequence;
  }
  return { kind: 'partial', retryFrom: sequenceNumbers.indexOf(String(lowest)) };
}

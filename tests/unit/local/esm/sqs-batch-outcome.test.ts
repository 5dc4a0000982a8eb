/** AWS's rules for an SQS function's ReportBatchItemFailures answer, and the FIFO order guard. */
import type { SqsBatchMessage } from '../../../../lib/local/esm/sqs-batch-outcome';
import { messageIdsToDelete, sqsBatchOutcome } from '../../../../lib/local/esm/sqs-batch-outcome';

const STANDARD: SqsBatchMessage[] = [{ messageId: 'm1' }, { messageId: 'm2' }, { messageId: 'm3' }];
const REPORT = { reportBatchItemFailures: true, fifo: false } as const;
const failures = (...ids: unknown[]): { batchItemFailures: unknown[] } => ({ batchItemFailures: ids.map((itemIdentifier) => ({ itemIdentifier })) });

describe('sqsBatchOutcome', () => {
  it.each([null, undefined, {}, { batchItemFailures: null }, { batchItemFailures: [] }, 'a string', 42])('treats %p as success: every message deleted', (response) => {
    const outcome = sqsBatchOutcome(STANDARD, response, REPORT);
    expect(outcome).toEqual({ kind: 'success' });
    expect(messageIdsToDelete(STANDARD, outcome)).toEqual(['m1', 'm2', 'm3']);
  });

  it('fails only the reported messages; the others are deleted', () => {
    const outcome = sqsBatchOutcome(STANDARD, failures('m3', 'm1'), REPORT);
    expect(outcome).toEqual({ kind: 'partial', failed: ['m1', 'm3'], heldForOrder: [] });
    expect(messageIdsToDelete(STANDARD, outcome)).toEqual(['m2']);
  });

  it('takes a message reported twice once', () => {
    const outcome = sqsBatchOutcome(STANDARD, failures('m2', 'm2'), REPORT);
    expect(messageIdsToDelete(STANDARD, outcome)).toEqual(['m1', 'm3']);
  });

  it('keeps every message when all are reported', () => {
    expect(messageIdsToDelete(STANDARD, sqsBatchOutcome(STANDARD, failures('m1', 'm2', 'm3'), REPORT))).toEqual([]);
  });

  it.each([
    ['an empty identifier', failures('')],
    ['a null identifier', failures(null)],
    ['a number', failures(7)],
    ['an unknown message id', failures('m1', 'not-in-batch')],
    ['a wrong key', { batchItemFailures: [{ itemIdentfier: 'm1' }] }],
    ['a null entry', { batchItemFailures: [null] }],
    ['a list that is not a list', { batchItemFailures: { itemIdentifier: 'm1' } }],
  ])('fails the whole batch for %s: nothing deleted', (_case, response) => {
    const outcome = sqsBatchOutcome(STANDARD, response, REPORT);
    expect(outcome.kind).toBe('failure');
    expect(messageIdsToDelete(STANDARD, outcome)).toEqual([]);
  });

  it('ignores the answer when the mapping does not report item failures', () => {
    expect(sqsBatchOutcome(STANDARD, failures('m1'), { reportBatchItemFailures: false, fifo: false })).toEqual({ kind: 'success' });
    expect(sqsBatchOutcome(STANDARD, failures(''), { reportBatchItemFailures: false, fifo: false })).toEqual({ kind: 'success' });
  });

  describe('FIFO', () => {
    const batch: SqsBatchMessage[] = [
      { messageId: 'a1', messageGroupId: 'A' },
      { messageId: 'b1', messageGroupId: 'B' },
      { messageId: 'a2', messageGroupId: 'A' },
      { messageId: 'b2', messageGroupId: 'B' },
      { messageId: 'a3', messageGroupId: 'A' },
    ];
    const FIFO = { reportBatchItemFailures: true, fifo: true } as const;

    it('holds back the later messages of a failed message\'s group that the function did not report', () => {
      const outcome = sqsBatchOutcome(batch, failures('a2'), FIFO);
      expect(outcome).toEqual({ kind: 'partial', failed: ['a2'], heldForOrder: ['a3'] });
      // A's earlier message and group B go on.
      expect(messageIdsToDelete(batch, outcome)).toEqual(['a1', 'b1', 'b2']);
    });

    it('holds nothing back when the function reports the rest of the group itself', () => {
      const outcome = sqsBatchOutcome(batch, failures('a2', 'a3'), FIFO);
      expect(outcome).toEqual({ kind: 'partial', failed: ['a2', 'a3'], heldForOrder: [] });
    });

    it('holds back every later message of each failed group', () => {
      const outcome = sqsBatchOutcome(batch, failures('a1', 'b1'), FIFO);
      expect(outcome).toEqual({ kind: 'partial', failed: ['a1', 'b1'], heldForOrder: ['a2', 'b2', 'a3'] });
      expect(messageIdsToDelete(batch, outcome)).toEqual([]);
    });

    it('does not guard order on a standard queue, even with group ids', () => {
      expect(sqsBatchOutcome(batch, failures('a2'), { reportBatchItemFailures: true, fifo: false })).toEqual({ kind: 'partial', failed: ['a2'], heldForOrder: [] });
    });
  });
});

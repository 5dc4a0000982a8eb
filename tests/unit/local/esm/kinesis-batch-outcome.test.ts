/** AWS's rules for a Kinesis function's ReportBatchItemFailures answer. */
import { kinesisBatchOutcome } from '../../../../lib/local/esm/kinesis-batch-outcome';

const seqs = ['49590000000000000000000000000000000000000000000000000001', '49590000000000000000000000000000000000000000000000000002', '49590000000000000000000000000000000000000000000000000010'];

describe('kinesisBatchOutcome', () => {
  it.each([null, undefined, {}, { batchItemFailures: null }, { batchItemFailures: [] }, 'a string'])('treats %p as success', (response) => {
    expect(kinesisBatchOutcome(seqs, response, true)).toEqual({ kind: 'success' });
  });

  it('retries from the lowest reported sequence number, compared as numbers', () => {
    const response = { batchItemFailures: [{ itemIdentifier: seqs[2] }, { itemIdentifier: seqs[1] }] };
    expect(kinesisBatchOutcome(seqs, response, true)).toEqual({ kind: 'partial', retryFrom: 1 });
  });

  it.each([[{ itemIdentifier: '' }], [{ itemIdentifier: null }], [{}], [{ itemIdentifier: '123' }], [{ itemIdentifier: 42 }]])('fails the whole batch for a malformed identifier %p', (failure) => {
    expect(kinesisBatchOutcome(seqs, { batchItemFailures: [failure] }, true).kind).toBe('failure');
  });

  it('ignores the answer when the mapping does not report item failures', () => {
    expect(kinesisBatchOutcome(seqs, { batchItemFailures: [{ itemIdentifier: seqs[0] }] }, false)).toEqual({ kind: 'success' });
  });
});

import { booleanEnv, InvalidEnvironmentError } from '../../../../lib/sqs/workers/environment';
import { decodeLedgerEntry } from '../../../../lib/sqs/workers/ledger-entry';
import { decodeVote } from '../../../../lib/sqs/workers/vote';
import { entryMessage, sqsRecord, testEntry, testVote } from '../batch/sqs-events';

describe('decodeVote', () => {
  it('accepts a vote of schemas/vote.json and normalises cast_at to UTC', () => {
    const vote = testVote(1, { cast_at: '2026-11-25T23:30:00+01:00' });
    expect(decodeVote(JSON.stringify(vote))).toEqual({ ok: true, value: { ...vote, cast_at: '2026-11-25T22:30:00.000Z' } });
  });

  it.each([
    ['not JSON', '{"vote_id":', 'undecodable', undefined],
    ['an array', '[1,2]', 'undecodable', undefined],
    ['a string', '"vote"', 'undecodable', undefined],
    ['a bad uuid', JSON.stringify(testVote(1, { vote_id: 'not-a-uuid' })), 'invalid', 'vote_id'],
    ['a missing option', JSON.stringify({ ...testVote(1), option: undefined }), 'invalid', undefined],
    ['an unknown field', JSON.stringify({ ...testVote(1), weight: 2 }), 'invalid', undefined],
    ['an impossible date', JSON.stringify(testVote(1, { cast_at: '2026-02-30T10:00:00Z' })), 'invalid', 'cast_at'],
    ['a channel out of the enum', JSON.stringify({ ...testVote(1), channel: 'fax' }), 'invalid', 'channel'],
  ])('rejects %s', (_what, body, kind, field) => {
    const result = decodeVote(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe(kind);
    if (field !== undefined) expect(result.error.field).toBe(field);
    expect(result.error.reason).not.toBe('');
  });
});

describe('decodeLedgerEntry', () => {
  it('accepts an entry sent in its account\'s message group', () => {
    const entry = testEntry('acct-a', 3, { amount: '-12.50', description: 'refund' });
    expect(decodeLedgerEntry(JSON.stringify(entry), sqsRecord(entryMessage(entry)))).toEqual({ ok: true, value: entry });
  });

  it('rejects an entry sent in another account\'s group: it was ordered against the wrong entries', () => {
    const entry = testEntry('acct-a', 1);
    const result = decodeLedgerEntry(JSON.stringify(entry), sqsRecord(entryMessage(entry, { groupId: 'acct-b' })));
    expect(result).toEqual({ ok: false, error: expect.objectContaining({ kind: 'invalid', field: 'account_id' }) as unknown });
  });

  it.each([
    ['a float amount', { amount: 12.5 }],
    ['an amount with 9 decimals', { amount: '0.123456789' }],
    ['an amount with a leading zero', { amount: '012' }],
    ['an amount in exponent form', { amount: '1e3' }],
    ['sequence 0', { sequence: 0 }],
    ['a fractional sequence', { sequence: 1.5 }],
    ['a lower-case currency', { currency: 'eur' }],
  ])('rejects %s', (_what, overrides) => {
    const entry = { ...testEntry('acct-a', 1), ...overrides };
    expect(decodeLedgerEntry(JSON.stringify(entry), sqsRecord({ body: '', groupId: 'acct-a' })).ok).toBe(false);
  });
});

describe('booleanEnv', () => {
  it('reads true/false/1/0 in any case, with a default when unset', () => {
    expect(booleanEnv('X', false, {})).toBe(false);
    expect(booleanEnv('X', true, { X: '' })).toBe(true);
    expect(booleanEnv('X', false, { X: 'TRUE' })).toBe(true);
    expect(booleanEnv('X', true, { X: '0' })).toBe(false);
    expect(() => booleanEnv('X', false, { X: 'yes' })).toThrow(InvalidEnvironmentError);
  });
});

import fc from 'fast-check';
import { answerBytes, droppedAnswer, fitResponse } from '../../../lib/firehose/response-size';
import type { FirehoseTransformationResultRecord } from '../../../lib/firehose/transformation-contract';

type Answer = FirehoseTransformationResultRecord;

const responseBytes = (answers: readonly Answer[]): number => Buffer.byteLength(JSON.stringify({ records: answers }));
const ok = (recordId: string, data: string, partitionKeys: Record<string, string> = { event_type: 'click', dt: '2026-11-25' }): Answer =>
  ({ recordId, result: 'Ok', data, metadata: { partitionKeys } });

// Record ids: Firehose's are ASCII digits, but nothing here depends on it.
const recordId = fc.oneof(fc.stringMatching(/^[0-9]{1,56}$/), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 }));
const base64Data = fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString('base64'));
const keysValue = fc.string({ unit: fc.oneof(fc.constantFrom('"', '\\', '\n', '\u0000', 'é', '😀'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength: 8 });
const partitionKeys = fc.dictionary(fc.string({ maxLength: 6 }), keysValue, { maxKeys: 3 });
// What transform-batch answers: Ok with base64 and keys, ProcessingFailed with the input's base64, Dropped empty.
const answer: fc.Arbitrary<Answer> = fc.oneof(
  fc.record({ recordId, data: base64Data, keys: partitionKeys }).map(({ recordId: id, data, keys }) => ok(id, data, keys)),
  fc.record({ recordId, data: base64Data }).map(({ recordId: id, data }): Answer => ({ recordId: id, result: 'ProcessingFailed', data })),
  recordId.map(droppedAnswer),
);

describe('answerBytes', () => {
  test('equals the byte length of the answer as JSON (property)', () => {
    fc.assert(
      fc.property(answer, (a) => {
        expect(answerBytes(a)).toBe(Buffer.byteLength(JSON.stringify(a)));
      }),
      { numRuns: 2000 },
    );
  });

  test('counts non-ASCII record ids and partition keys in UTF-8 bytes', () => {
    const a = ok('ïd-😀', 'QUJD', { event_type: 'clíck', dt: '"quoted"' });
    expect(answerBytes(a)).toBe(Buffer.byteLength(JSON.stringify(a)));
  });

  test('uses the given measure for partition keys', () => {
    const a = ok('1', 'QUJD');
    expect(answerBytes(a, () => 1000)).toBe(answerBytes(a) - Buffer.byteLength(JSON.stringify(a.metadata!.partitionKeys)) + 1000);
  });

  // BUG (see report): a ProcessingFailed answer carries the input's data as is, and answerBytes
  // counts data as its length, assuming base64. Data that is not base64 (which is what makes a
  // record fail) may need JSON escaping or be non-ASCII, and is then undercounted.
  test('equals the JSON byte length for ProcessingFailed answers whose data is not base64', () => {
    const a: Answer = { recordId: '1', result: 'ProcessingFailed', data: 'é"\\\n' };
    expect(answerBytes(a)).toBe(Buffer.byteLength(JSON.stringify(a)));
  });
});

describe('fitResponse', () => {
  test('keeps every answer when the budget allows, and reports the exact size', () => {
    const answers = [ok('1', 'QUJD'), droppedAnswer('2'), { recordId: '3', result: 'ProcessingFailed' as const, data: 'eHl6' }];
    const fitted = fitResponse(answers, 6_000_000);
    expect(fitted.answers).toEqual(answers);
    expect(fitted.overflow).toEqual([]);
    expect(fitted.bytes).toBe(responseBytes(answers));
  });

  test('an exact fit is kept; one byte less overflows the last answer', () => {
    const answers = [ok('1', 'QUJD'), ok('2', 'REVG')];
    const exact = responseBytes(answers);
    expect(fitResponse(answers, exact)).toEqual({ answers, overflow: [], bytes: exact });
    const tight = fitResponse(answers, exact - 1);
    expect(tight.overflow).toEqual([1]);
    expect(tight.answers).toEqual([answers[0], droppedAnswer('2')]);
    expect(tight.bytes).toBe(responseBytes(tight.answers));
  });

  test('later answers still fit after a large one overflows (in order, greedily)', () => {
    const big = ok('1', 'A'.repeat(4000));
    const small = ok('2', 'QUJD');
    const answers = [big, small, droppedAnswer('3'), ok('4', 'QUJD')];
    const budget = responseBytes([droppedAnswer('1'), small, droppedAnswer('3'), answers[3]!]);
    const fitted = fitResponse(answers, budget);
    expect(fitted.overflow).toEqual([0]);
    expect(fitted.answers.map((a) => a.result)).toEqual(['Dropped', 'Ok', 'Dropped', 'Ok']);
    expect(fitted.bytes).toBe(budget);
  });

  test('an empty batch is the envelope', () => {
    expect(fitResponse([], 100)).toEqual({ answers: [], overflow: [], bytes: Buffer.byteLength('{"records":[]}') });
  });

  test('throws when even an all-Dropped response exceeds the budget', () => {
    const answers = [ok('1', 'QUJD'), ok('2', 'QUJD')];
    const floor = responseBytes(answers.map((a) => droppedAnswer(a.recordId)));
    expect(() => fitResponse(answers, floor - 1)).toThrow(RangeError);
    expect(fitResponse(answers, floor).overflow).toEqual([0, 1]);
  });

  test('partition-keys objects shared between answers are measured right, including frozen ones', () => {
    const shared = Object.freeze({ event_type: 'purchase', dt: '2026-11-25' });
    const answers = [ok('1', 'QUJD', shared), ok('2', 'REVG', shared), ok('3', 'R0hJ', { event_type: 'click', dt: '2026-11-26' })];
    expect(fitResponse(answers, 6_000_000).bytes).toBe(responseBytes(answers));
  });

  test('never exceeds the budget, keeps order, and overflows exactly what does not fit (property)', () => {
    fc.assert(
      fc.property(fc.array(answer, { maxLength: 40 }), fc.double({ min: 0, max: 1.2, noNaN: true }), (answers, share) => {
        const floor = responseBytes(answers.map((a) => droppedAnswer(a.recordId)));
        const full = responseBytes(answers);
        // Budgets from the floor up to beyond the full response.
        const budget = Math.floor(floor + share * (full - floor));
        const fitted = fitResponse(answers, budget);

        // Within budget, and the reported size is the real one.
        const actual = responseBytes(fitted.answers);
        expect(actual).toBeLessThanOrEqual(budget);
        expect(fitted.bytes).toBe(actual);

        // One answer per input, same ids, same order.
        expect(fitted.answers.map((a) => a.recordId)).toEqual(answers.map((a) => a.recordId));

        // Overflow = exactly the answers turned into Dropped; every other answer is kept as it was.
        const turnedDropped = answers.flatMap((a, i) => (a.result !== 'Dropped' && fitted.answers[i]!.result === 'Dropped' ? [i] : []));
        expect(fitted.overflow).toEqual(turnedDropped);
        answers.forEach((a, i) => {
          if (!fitted.overflow.includes(i)) expect(fitted.answers[i]).toBe(a);
          else expect(fitted.answers[i]).toEqual(droppedAnswer(a.recordId));
        });

        // Nothing overflowed that would still have fitted at the end.
        for (const i of fitted.overflow) {
          const extra = answerBytes(answers[i]!) - answerBytes(droppedAnswer(answers[i]!.recordId));
          expect(fitted.bytes + extra).toBeGreaterThan(budget);
        }
        if (budget >= full) expect(fitted.overflow).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  test('throws RangeError exactly when the budget is below the all-Dropped floor (property)', () => {
    fc.assert(
      fc.property(fc.array(answer, { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 200 }), (answers, below) => {
        const floor = responseBytes(answers.map((a) => droppedAnswer(a.recordId)));
        expect(() => fitResponse(answers, floor - below)).toThrow(RangeError);
        expect(() => fitResponse(answers, floor)).not.toThrow();
      }),
    );
  });
});

/**
 * Keeps a transformation response within Lambda's response limit. Every record gets room for
 * a small `Dropped` answer first; then, in order, records are given their full answer while the
 * budget lasts. Those that do not fit are the overflow, to be re-ingested.
 */
import type { FirehoseTransformationResultRecord } from './transformation-contract';

/** Bytes of `{"records":[` + `]}`. */
const ENVELOPE_BYTES = Buffer.byteLength('{"records":[]}');

/** The fixed part of an answer: `{"recordId":,"result":"","data":""}` (+ `,"metadata":` when present). */
const ANSWER_FRAME_BYTES = Buffer.byteLength('{"recordId":,"result":"","data":""}');
const METADATA_FRAME_BYTES = Buffer.byteLength(',"metadata":');

/**
 * The exact size of a record's JSON in the response, without serialising its data (base64
 * needs no escaping, so it counts as its length).
 */
export function answerBytes(answer: FirehoseTransformationResultRecord): number {
  const metadata = answer.metadata ? METADATA_FRAME_BYTES + Buffer.byteLength(JSON.stringify(answer.metadata)) : 0;
  return ANSWER_FRAME_BYTES + Buffer.byteLength(JSON.stringify(answer.recordId)) + answer.result.length + answer.data.length + metadata;
}

export function droppedAnswer(recordId: string): FirehoseTransformationResultRecord {
  return { recordId, result: 'Dropped', data: '' };
}

export interface FittedResponse {
  readonly answers: FirehoseTransformationResultRecord[];
  /** Indexes of the records whose full answer did not fit; answered `Dropped`. */
  readonly overflow: number[];
  readonly bytes: number;
}

/** Fits `answers` (one per input record, in order) within `budgetBytes`. */
export function fitResponse(answers: readonly FirehoseTransformationResultRecord[], budgetBytes: number): FittedResponse {
  const dropped = answers.map((a) => ANSWER_FRAME_BYTES + Buffer.byteLength(JSON.stringify(a.recordId)) + 'Dropped'.length);
  const floor = ENVELOPE_BYTES + Math.max(0, answers.length - 1) + dropped.reduce((sum, b) => sum + b, 0);
  if (floor > budgetBytes) throw new RangeError(`even an all-Dropped response (${floor} bytes) exceeds the budget of ${budgetBytes} bytes`);
  let remaining = budgetBytes - floor;
  const fitted: FirehoseTransformationResultRecord[] = [];
  const overflow: number[] = [];
  answers.forEach((answer, i) => {
    const extra = answerBytes(answer) - dropped[i]!;
    if (extra <= remaining) {
      remaining -= extra;
      fitted.push(answer);
    } else {
      overflow.push(i);
      fitted.push(droppedAnswer(answer.recordId));
    }
  });
  return { answers: fitted, overflow, bytes: budgetBytes - remaining };
}

/**
 * Keeps a transformation response within Lambda's response limit. Every record gets room for
 * a small `Dropped` answer first; then, in order, records are given their full answer while the
 * budget lasts. Those that do not fit are the overflow, to be re-ingested.
 */
import type { FirehoseTransformationResultRecord } from './transformation-contract';

type Answer = FirehoseTransformationResultRecord;
type PartitionKeys = NonNullable<Answer['metadata']>['partitionKeys'];

/** Bytes of `{"records":[` + `]}`. */
const ENVELOPE_BYTES = Buffer.byteLength('{"records":[]}');
/** The fixed part of an answer: `{"recordId":,"result":"","data":""}`. */
const ANSWER_FRAME_BYTES = Buffer.byteLength('{"recordId":,"result":"","data":""}');
/** `,"metadata":{"partitionKeys":}`, added when an answer has metadata. */
const METADATA_FRAME_BYTES = Buffer.byteLength(',"metadata":{"partitionKeys":}');

const idBytes = (recordId: string): number => Buffer.byteLength(JSON.stringify(recordId));
const keysBytes = (keys: PartitionKeys): number => Buffer.byteLength(JSON.stringify(keys));

/**
 * The exact size of an answer's JSON. Data we encoded is base64 (no escaping: it counts as its
 * length); a `ProcessingFailed` answer echoes the input as it came, which may be anything.
 */
export function answerBytes(answer: Answer, sizeOfKeys: (keys: PartitionKeys) => number = keysBytes): number {
  const metadata = answer.metadata ? METADATA_FRAME_BYTES + sizeOfKeys(answer.metadata.partitionKeys) : 0;
  const data = answer.result === 'ProcessingFailed' ? Buffer.byteLength(JSON.stringify(answer.data)) - 2 : answer.data.length;
  return ANSWER_FRAME_BYTES + idBytes(answer.recordId) + answer.result.length + data + metadata;
}

export function droppedAnswer(recordId: string): Answer {
  return { recordId, result: 'Dropped', data: '' };
}

export interface FittedResponse {
  readonly answers: Answer[];
  /** Indexes of the records whose full answer did not fit; answered `Dropped`. */
  readonly overflow: number[];
  readonly bytes: number;
}

/** Fits `answers` (one per input record, in order) within `budgetBytes`. */
export function fitResponse(answers: readonly Answer[], budgetBytes: number): FittedResponse {
  const dropped = answers.map((a) => ANSWER_FRAME_BYTES + idBytes(a.recordId) + 'Dropped'.length);
  const floor = ENVELOPE_BYTES + Math.max(0, answers.length - 1) + dropped.reduce((sum, b) => sum + b, 0);
  if (floor > budgetBytes) throw new RangeError(`even an all-Dropped response (${floor} bytes) exceeds the budget of ${budgetBytes} bytes`);
  // Records of one partition share their keys object: measure each object once.
  const sizes = new WeakMap<PartitionKeys, number>();
  const sizeOfKeys = (keys: PartitionKeys): number => {
    let size = sizes.get(keys);
    if (size === undefined) sizes.set(keys, (size = keysBytes(keys)));
    return size;
  };
  let remaining = budgetBytes - floor;
  const fitted: Answer[] = [];
  const overflow: number[] = [];
  answers.forEach((answer, i) => {
    const extra = answer.result === 'Dropped' ? 0 : answerBytes(answer, sizeOfKeys) - dropped[i]!;
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

/**
 * Firehose's checks of a transform's answer, with Firehose's own error codes and messages:
 * every record id back exactly once, a known result, base64 data.
 */
import type { FirehoseTransformationEvent, FirehoseTransformationResultRecord } from '../../firehose/transformation-contract';

/** Why a record did not get a usable answer, as Firehose writes it to the error output. */
export interface RecordError {
  readonly errorCode: string;
  readonly errorMessage: string;
}

export type CheckedAnswer = FirehoseTransformationResultRecord | RecordError;

export const isRecordError = (answer: CheckedAnswer): answer is RecordError => 'errorCode' in answer;

export const FIREHOSE_ERRORS = {
  functionError: { errorCode: 'Lambda.FunctionError', errorMessage: 'The Lambda function was successfully invoked but it returned an error result.' },
  missingRecordId: { errorCode: 'Lambda.MissingRecordId', errorMessage: 'One or more record Ids were not returned. Ensure that the Lambda function returns all received record Ids.' },
  duplicatedRecordId: { errorCode: 'Lambda.DuplicatedRecordId', errorMessage: 'Multiple records were returned with the same record Id. Ensure that the Lambda function returns unique record Ids for each record.' },
  jsonProcessing: { errorCode: 'Lambda.JsonProcessingException', errorMessage: 'The Lambda function returned a response that is not a valid transformation result.' },
  processingFailed: { errorCode: 'Lambda.ProcessingFailedStatus', errorMessage: 'The Lambda function set the ProcessingFailed status for the record.' },
} as const satisfies Record<string, RecordError>;

const RESULTS = new Set(['Ok', 'Dropped', 'ProcessingFailed']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isAnswer(value: unknown): value is FirehoseTransformationResultRecord {
  if (typeof value !== 'object' || value === null) return false;
  const answer = value as Record<string, unknown>;
  return typeof answer.recordId === 'string' && typeof answer.result === 'string' && RESULTS.has(answer.result)
    && (answer.result === 'Dropped' || (typeof answer.data === 'string' && BASE64.test(answer.data)));
}

/**
 * Each input record's answer, or the error Firehose would record for it. `undefined` when the
 * response as a whole is unusable (not `{records: [...]}`): the invocation counts as failed.
 */
export function checkResponse(event: FirehoseTransformationEvent, response: unknown): Map<string, CheckedAnswer> | undefined {
  if (typeof response !== 'object' || response === null || !Array.isArray((response as { records?: unknown }).records)) return undefined;
  const answers = (response as { records: unknown[] }).records;
  const expected = new Set(event.records.map((r) => r.recordId));
  const byId = new Map<string, CheckedAnswer>();
  const duplicated = new Set<string>();
  for (const answer of answers) {
    if (!isAnswer(answer)) {
      const id = (answer as { recordId?: unknown } | null)?.recordId;
      if (typeof id === 'string' && expected.has(id)) byId.set(id, FIREHOSE_ERRORS.jsonProcessing);
      continue;
    }
    if (!expected.has(answer.recordId)) continue; // an id Firehose never sent is ignored
    if (byId.has(answer.recordId)) duplicated.add(answer.recordId);
    byId.set(answer.recordId, answer);
  }
  for (const id of duplicated) byId.set(id, FIREHOSE_ERRORS.duplicatedRecordId);
  for (const id of expected) if (!byId.has(id)) byId.set(id, FIREHOSE_ERRORS.missingRecordId);
  return byId;
}

/**
 * One Firehose transformation invocation: every record gets exactly one answer, in order; bad
 * records fail alone with their original data (so Firehose writes them unchanged under its
 * error prefix); records that must go round again (partition splits, response overflow) are
 * re-ingested before the answer is returned.
 */
import type { CsvRecordTransform, RecordFailure } from './csv-record-transform';
import type { ReingestRecord, Reingester } from './reingest';
import { droppedAnswer, fitResponse } from './response-size';
import type { FirehoseTransformationEvent, FirehoseTransformationResult, FirehoseTransformationResultRecord } from './transformation-contract';
import { DEFAULT_RESPONSE_BUDGET_BYTES } from './transformation-contract';

/** The part of a structured logger this module needs (Powertools' Logger fits). */
export interface TransformLogger {
  warn(message: string, attributes: Record<string, unknown>): void;
  info(message: string, attributes: Record<string, unknown>): void;
}

export interface TransformBatchDeps {
  readonly transform: CsvRecordTransform;
  readonly reingester: Reingester;
  readonly logger: TransformLogger;
  readonly responseBudgetBytes?: number;
}

/** What one invocation did, for metrics and for the callers' own accounting. */
export interface BatchCounts {
  readonly records: number;
  readonly ok: number;
  readonly dropped: number;
  readonly processingFailed: number;
  /** Records answered `Dropped` because their rows span partitions; re-ingested as parts. */
  readonly split: number;
  /** Records answered `Dropped` because their answer did not fit the response; re-ingested whole. */
  readonly overflow: number;
  /** Records put back into the source (split parts + overflow). */
  readonly reingested: number;
  /** CSV rows delivered as JSON lines in `Ok` answers. */
  readonly rowsOk: number;
  readonly responseBytes: number;
}

export interface TransformBatchResult {
  readonly response: FirehoseTransformationResult;
  readonly counts: BatchCounts;
}

export async function transformBatch(event: FirehoseTransformationEvent, deps: TransformBatchDeps): Promise<TransformBatchResult> {
  const reingest: ReingestRecord[] = [];
  let split = 0;
  const okRows: number[] = [];
  const answers = event.records.map((record, i): FirehoseTransformationResultRecord => {
    const outcome = deps.transform(record.data);
    const partitionKey = record.kinesisRecordMetadata?.partitionKey;
    switch (outcome.result) {
      case 'Ok':
        okRows[i] = outcome.rows;
        return { recordId: record.recordId, result: 'Ok', data: Buffer.from(outcome.json).toString('base64'), metadata: { partitionKeys: outcome.partitionKeys } };
      case 'Dropped':
        return droppedAnswer(record.recordId);
      case 'ProcessingFailed':
        logFailure(deps.logger, record.recordId, outcome.failure);
        return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
      case 'Split':
        split++;
        deps.logger.info('Record spans several partitions: re-ingesting it as one record per partition', {
          recordId: record.recordId, rows: outcome.rows, parts: outcome.parts.length,
        });
        for (const part of outcome.parts) reingest.push({ data: Buffer.from(part), ...(partitionKey ? { partitionKey } : {}) });
        return droppedAnswer(record.recordId);
    }
  });

  const fitted = fitResponse(answers, deps.responseBudgetBytes ?? DEFAULT_RESPONSE_BUDGET_BYTES);
  if (fitted.overflow.length > 0) {
    deps.logger.warn('Response would exceed the Lambda limit: re-ingesting the overflow', {
      overflow: fitted.overflow.length, records: answers.length,
    });
    for (const i of fitted.overflow) {
      const record = event.records[i]!;
      const partitionKey = record.kinesisRecordMetadata?.partitionKey;
      reingest.push({ data: Buffer.from(record.data, 'base64'), ...(partitionKey ? { partitionKey } : {}) });
    }
  }
  // Before answering: once they are Dropped in the response, only the source still holds them.
  if (reingest.length > 0) await deps.reingester.reingest(reingest);

  const counts = countAnswers(fitted.answers, okRows, split, fitted.overflow.length, reingest.length, fitted.bytes);
  return { response: { records: fitted.answers }, counts };
}

function logFailure(logger: TransformLogger, recordId: string, failure: RecordFailure): void {
  logger.warn('Record failed transformation', { recordId, line: failure.line ?? null, column: failure.column ?? null, reason: failure.reason });
}

function countAnswers(
  answers: readonly FirehoseTransformationResultRecord[],
  okRows: readonly number[],
  split: number,
  overflow: number,
  reingested: number,
  responseBytes: number,
): BatchCounts {
  let ok = 0, dropped = 0, processingFailed = 0, rowsOk = 0;
  answers.forEach((answer, i) => {
    if (answer.result === 'Ok') {
      ok++;
      rowsOk += okRows[i] ?? 0;
    } else if (answer.result === 'Dropped') dropped++;
    else processingFailed++;
  });
  return { records: answers.length, ok, dropped, processingFailed, split, overflow, reingested, rowsOk, responseBytes };
}

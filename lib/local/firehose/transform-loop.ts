/**
 * The processing half of a local Firehose: batches records into transformation events,
 * invokes the transform, enforces the response contract as Firehose does, and sorts every
 * record into delivered (`Ok`, by partition), dropped, or processing-failed (in AWS's error
 * record shape). Records the transform re-ingests come back round until none are left.
 */
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from '../../firehose/transformation-contract';
import { checkResponse, FIREHOSE_ERRORS, isRecordError } from './response-check';
import type { ReingestRecord, Reingester } from '../../firehose/reingest';
import type { EventOptions } from './transformation-events';
import { buildTransformationEvents } from './transformation-events';

/** One line of Firehose's `processing-failed/` error output. */
export interface ProcessingFailedRecord {
  readonly attemptsMade: number;
  readonly arrivalTimestamp: number;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly attemptEndingTimestamp: number;
  readonly rawData: string;
  readonly lambdaArn: string;
}

export type TransformInvoker = (event: FirehoseTransformationEvent) => Promise<FirehoseTransformationResult>;

export interface TransformLoopOptions extends EventOptions {
  readonly lambdaArn?: string;
  /** Called after each invocation, for progress reporting. */
  readonly onInvocation?: (done: { records: number; round: number }) => void;
  /** Guards against a transform that re-ingests forever. */
  readonly maxRounds?: number;
}

export interface TransformLoopResult {
  /** NDJSON payloads by partition (`event_type=…/dt=…`), in arrival order. */
  readonly delivered: Map<string, Buffer[]>;
  readonly failed: ProcessingFailedRecord[];
  readonly counts: {
    invocations: number; rounds: number; ok: number; processingFailed: number;
    /** Dropped records whose data was blank (only whitespace). */
    droppedBlank: number;
    /** Dropped records with data: the transform put them back (re-ingested) in another form. */
    droppedWithData: number;
    /** Records the transform re-ingested, processed in later rounds. */
    reingested: number;
  };
}

const BLANK = /^[\s\uFEFF]*$/;

export async function runTransformLoop(records: readonly Uint8Array[], invoke: (reingester: Reingester) => TransformInvoker, options: TransformLoopOptions = {}): Promise<TransformLoopResult> {
  const lambdaArn = options.lambdaArn ?? 'arn:aws:lambda:eu-west-1:000000000000:function:shardline-local-firehoseCsvToJson';
  const delivered = new Map<string, Buffer[]>();
  const failed: ProcessingFailedRecord[] = [];
  const counts = { invocations: 0, rounds: 0, ok: 0, processingFailed: 0, droppedBlank: 0, droppedWithData: 0, reingested: 0 };
  let pending: Uint8Array[] = [...records];
  while (pending.length > 0) {
    if (counts.rounds === (options.maxRounds ?? 10)) throw new Error(`transform still re-ingesting after ${counts.rounds} rounds`);
    counts.rounds++;
    const next: Uint8Array[] = [];
    const reingester: Reingester = { reingest: (rs: readonly ReingestRecord[]) => { next.push(...rs.map((r) => r.data)); return Promise.resolve(); } };
    const transform = invoke(reingester);
    for (const event of buildTransformationEvents(pending, options)) {
      const response = await transform(event);
      counts.invocations++;
      const answers = checkResponse(event, response);
      const ended = Date.now();
      for (const record of event.records) {
        const answer = answers?.get(record.recordId) ?? FIREHOSE_ERRORS.jsonProcessing;
        if (isRecordError(answer) || answer.result === 'ProcessingFailed') {
          counts.processingFailed++;
          const error = isRecordError(answer) ? answer : FIREHOSE_ERRORS.processingFailed;
          failed.push({ attemptsMade: 1, arrivalTimestamp: record.approximateArrivalTimestamp, ...error, attemptEndingTimestamp: ended, rawData: record.data, lambdaArn });
        } else if (answer.result === 'Dropped') {
          if (BLANK.test(Buffer.from(record.data, 'base64').toString('utf8'))) counts.droppedBlank++;
          else counts.droppedWithData++;
        } else {
          counts.ok++;
          const keys = answer.metadata?.partitionKeys ?? {};
          const partition = Object.entries(keys).map(([k, v]) => `${k}=${v}`).join('/');
          const payloads = delivered.get(partition) ?? [];
          if (payloads.length === 0) delivered.set(partition, payloads);
          payloads.push(Buffer.from(answer.data, 'base64'));
        }
      }
      options.onInvocation?.({ records: event.records.length, round: counts.rounds });
    }
    counts.reingested += next.length;
    pending = next;
  }
  return { delivered, failed, counts };
}

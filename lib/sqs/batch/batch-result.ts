/**
 * The outcome of an SQS batch: one outcome per record, the counts for logs and metrics, and the
 * `SQSBatchResponse` for Lambda — the failed message ids in batch order, each once. A batch whose
 * every message failed lists every id: the mapping then deletes none, exactly as if the function
 * had thrown, but the logs and metrics still say which messages failed and why.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { S3Pointer } from '../extended-payload';
import type { MessageFailure, PoisonKind, WorkerSink } from './message-outcome';
import type { PreparedMessage } from './prepare-messages';

/** One record's outcome: applied now, already applied (a duplicate), or failed. */
export type MessageOutcome =
  | { readonly ok: true; readonly duplicate: boolean }
  | { readonly ok: false; readonly failure: MessageFailure };

/** Counts of a batch. Every message is in exactly one of applied, duplicates, poison, transient or blocked. */
export interface SqsBatchCounts {
  readonly messages: number;
  /** Messages whose effect was written by this invocation. */
  readonly applied: number;
  /** Messages whose effect was already in the store (redelivered or duplicated): nothing changed. */
  readonly duplicates: number;
  readonly poison: Readonly<Record<PoisonKind, number>>;
  readonly transient: number;
  /** FIFO: messages not attempted because an earlier one of their group failed. */
  readonly blocked: number;
  /** Messages whose body was read from S3 (Extended Client pointers), whatever their outcome. */
  readonly fromS3: number;
}

export interface SqsBatchResult {
  readonly response: SQSBatchResponse;
  /** Per record, in batch order. */
  readonly outcomes: readonly MessageOutcome[];
  readonly counts: SqsBatchCounts;
  /** The S3 objects of messages that succeeded (the ones that may be deleted now). */
  readonly succeededPayloads: readonly S3Pointer[];
}

/** A store reported a ref that was not in the items it was given: a bug in the store. */
export class UnknownSinkRefError extends RangeError {
  override readonly name = 'UnknownSinkRefError';

  constructor(readonly ref: number) {
    super(`the store reported ref ${ref}, which was not among the items it was given`);
  }
}

/**
 * Writes the decoded messages (`ref` = index in the batch) to the store and reads its answer:
 * a `permanent` failure makes the message poison (`rejected`), a `transient` one a retry, a
 * duplicate a success. Records that failed before the store keep their failure.
 */
export async function writeToSink<T>(prepared: readonly PreparedMessage<T>[], sink: WorkerSink<T>, include: (index: number) => boolean = () => true): Promise<(MessageOutcome | undefined)[]> {
  const outcomes: (MessageOutcome | undefined)[] = prepared.map((p) => (p.ok ? undefined : { ok: false, failure: p.failure }));
  const items = prepared.flatMap((p, ref) => (p.ok && include(ref) ? [{ ref, value: p.value }] : []));
  if (items.length === 0) return outcomes;
  const given = new Set(items.map((item) => item.ref));
  const result = await sink.write(items);
  for (const ref of result.duplicates) {
    if (!given.has(ref)) throw new UnknownSinkRefError(ref);
    outcomes[ref] = { ok: true, duplicate: true };
  }
  for (const { ref, kind, code, message } of result.failures) {
    if (!given.has(ref)) throw new UnknownSinkRefError(ref);
    outcomes[ref] = {
      ok: false,
      failure: kind === 'permanent' ? { kind: 'poison', poison: 'rejected', code, message } : { kind: 'transient', code, message },
    };
  }
  for (const ref of given) outcomes[ref] ??= { ok: true, duplicate: false };
  return outcomes;
}

/** The response and counts for a batch whose every record has an outcome. */
export function batchResult<T>(prepared: readonly PreparedMessage<T>[], outcomes: readonly MessageOutcome[]): SqsBatchResult {
  const poison: Record<PoisonKind, number> = { undecodable: 0, invalid: 0, payload: 0, rejected: 0 };
  let applied = 0, duplicates = 0, transient = 0, blocked = 0;
  const failed: SQSRecord[] = [];
  const succeededPayloads: S3Pointer[] = [];
  outcomes.forEach((outcome, index) => {
    const { record, pointer } = prepared[index]!;
    if (outcome.ok) {
      if (outcome.duplicate) duplicates++;
      else applied++;
      if (pointer !== undefined) succeededPayloads.push(pointer);
      return;
    }
    failed.push(record);
    const { failure } = outcome;
    if (failure.kind === 'poison') poison[failure.poison]++;
    else if (failure.kind === 'transient') transient++;
    else blocked++;
  });
  return {
    response: { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) },
    outcomes,
    counts: {
      messages: prepared.length,
      applied,
      duplicates,
      poison,
      transient,
      blocked,
      fromS3: prepared.filter((p) => p.pointer !== undefined).length,
    },
    succeededPayloads,
  };
}

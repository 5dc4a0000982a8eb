/**
 * What can happen to one message of an SQS batch, and the contract between the batch logic and
 * the store a worker writes to.
 *
 * A message either succeeds (its effect is in the store, newly or already) or fails; a failed
 * message is reported to Lambda (`ReportBatchItemFailures`), so SQS delivers it again after the
 * visibility timeout and, after `maxReceiveCount` receives, the queue's redrive policy moves it to
 * the dead-letter queue. That is the only way a message leaves the queue without being applied:
 * nothing is dropped, nothing is retried forever.
 */
import type { SQSRecord } from 'aws-lambda';
import type { SinkItem, SinkResult } from '../../sinks/sink';

/**
 * Why a message can never succeed. Poison messages are still reported failed (never deleted by
 * the worker): the redrive policy is what takes them to the DLQ, where they can be inspected and
 * redriven once fixed.
 * - `undecodable`: the body is not JSON, or not a JSON object;
 * - `invalid`: the JSON breaks the schema;
 * - `payload`: an Amazon SQS Extended Client pointer that is malformed or names no S3 object;
 * - `rejected`: the store refuses the value for good (e.g. a conflicting duplicate, a value
 *   DynamoDB cannot hold).
 */
export type PoisonKind = 'undecodable' | 'invalid' | 'payload' | 'rejected';

/**
 * A failed message.
 * - `poison`: it can never succeed (see {@link PoisonKind}); reported failed, ends in the DLQ;
 * - `transient`: the store or S3 was throttled, unavailable or conflicting after the worker's own
 *   retries; reported failed, SQS delivers it again;
 * - `blocked` (FIFO only): an earlier message of its message group in the batch failed, so this one
 *   was not attempted, to keep the group's order.
 */
export type MessageFailure =
  | { readonly kind: 'poison'; readonly poison: PoisonKind; readonly code: string; readonly message: string; readonly field?: string }
  | { readonly kind: 'transient'; readonly code: string; readonly message: string }
  | { readonly kind: 'blocked'; readonly after: string; readonly message: string };

/** A body decoded into a value for the store, or why it cannot be one. */
export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: { readonly kind: 'undecodable' | 'invalid'; readonly field?: string; readonly reason: string } };

/**
 * Body text (resolved from S3 when it was a pointer) → a value for the store. The record is given
 * for checks that involve its attributes, e.g. that a FIFO body belongs to its `MessageGroupId`.
 */
export type MessageDecoder<T> = (body: string, record: SQSRecord) => DecodeResult<T>;

/**
 * The result of a worker's store: the {@link SinkResult} failures (`transient` → the message is
 * retried, `permanent` → it is poison), and the refs whose effect was already in the store (a
 * duplicate or a redelivery: success, nothing changed).
 */
export interface WorkerSinkResult extends SinkResult {
  readonly duplicates: readonly number[];
}

/**
 * The store of an SQS worker: {@link Sink} semantics (idempotent, own bounded retries, an answer
 * per ref), plus which refs were duplicates.
 *
 * For a FIFO worker the items come in batch order, and the store must keep the order of each
 * message group: once an item fails, it must not apply a later item of the same group (the batch
 * logic reports those failed anyway, but only the store can avoid applying them).
 */
export interface WorkerSink<T> {
  write(items: readonly SinkItem<T>[]): Promise<WorkerSinkResult>;
}

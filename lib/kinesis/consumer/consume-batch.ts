/**
 * The shared flow of a Kinesis consumer, with Lambda's `ReportBatchItemFailures` semantics:
 *
 * 1. unpack the batch into user records (plain or KPL-aggregated), in stream order;
 * 2. decode and validate each; a record that is not valid is a poison record;
 * 3. write the valid ones to the sink (idempotent, retrying what is worth retrying);
 * 4. send poison records — and those the store rejects for good — with payload and reason to
 *    the failure destination: they count as handled, so one bad record never blocks its shard;
 * 5. if anything is still unwritten (a transient failure after the sink's retries, or a poison
 *    record the destination could not take), report the *first* such record's sequence number:
 *    Lambda checkpoints before it and retries from there. Records after it that were written
 *    are written again on the retry, which changes nothing because every write is idempotent.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/kinesis-batchfailurereporting.html
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { FailureDestination, PoisonReason, PoisonRecord } from '../../sinks/failures/failure-destination';
import type { Sink, SinkItem } from '../../sinks/sink';
import type { RecordOrigin } from './unpack-batch';
import { unpackBatch } from './unpack-batch';

export type DecodeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: { readonly field?: string | undefined; readonly reason: string } };

export interface ConsumeBatchOptions<T> {
  /** Bytes of one user record → a value for the sink, or why it is not one. */
  readonly decode: (data: Buffer) => DecodeResult<T>;
  readonly sink: Sink<T>;
  readonly failures: FailureDestination;
}

/** What happened to a batch, for logs and metrics. Every user record is in exactly one of written, poison or retried. */
export interface BatchCounts {
  readonly kinesisRecords: number;
  readonly userRecords: number;
  readonly written: number;
  readonly poison: { readonly undecodable: number; readonly invalid: number; readonly rejected: number };
  /** User records left for Lambda to redeliver (from the reported sequence number on). */
  readonly retried: number;
}

export interface BatchOutcome {
  readonly response: KinesisStreamBatchResponse;
  readonly counts: BatchCounts;
  /** The sequence number Lambda retries from, if any. */
  readonly retryFrom?: string;
  /** The first reason for a retry: a store's error code, or `FailureDestinationError`. */
  readonly retryReason?: string;
}

interface Entry {
  readonly origin: RecordOrigin;
  readonly data: Buffer;
  /** Set when the record is not written: why, and whether a retry could help. */
  outcome?: { readonly poison: PoisonReason } | { readonly retry: string };
}

async function routePoison(entries: readonly Entry[], failures: FailureDestination): Promise<void> {
  const poison = entries.flatMap((e): PoisonRecord[] => (e.outcome && 'poison' in e.outcome ? [{ origin: e.origin, data: e.data, reason: e.outcome.poison }] : []));
  if (poison.length === 0) return;
  try {
    await failures.write(poison);
  } catch (error) {
    // Not stored, so not handled: Lambda must deliver them again.
    const name = error instanceof Error ? error.name : 'Error';
    for (const entry of entries) if (entry.outcome && 'poison' in entry.outcome) entry.outcome = { retry: name };
  }
}

export async function consumeKinesisBatch<T>(event: KinesisStreamEvent, options: ConsumeBatchOptions<T>): Promise<BatchOutcome> {
  const entries: Entry[] = [];
  const items: SinkItem<T>[] = [];
  for (const record of unpackBatch(event)) {
    const entry: Entry = { origin: record.origin, data: record.data };
    if (record.kind === 'undecodable') {
      entry.outcome = { poison: { kind: 'undecodable', message: record.reason } };
    } else {
      const decoded = options.decode(record.data);
      if (decoded.ok) items.push({ ref: entries.length, value: decoded.value });
      else entry.outcome = { poison: { kind: 'invalid', field: decoded.error.field, message: decoded.error.reason } };
    }
    entries.push(entry);
  }
  const earlyPoison = entries.filter((e) => e.outcome !== undefined);
  const [result] = await Promise.all([items.length > 0 ? options.sink.write(items) : { failures: [] }, routePoison(earlyPoison, options.failures)]);
  const rejected: Entry[] = [];
  for (const failure of result.failures) {
    const entry = entries[failure.ref];
    if (!entry) throw new RangeError(`the sink reported a failure for unknown ref ${failure.ref}`);
    if (failure.kind === 'permanent') {
      entry.outcome = { poison: { kind: 'rejected', code: failure.code, message: failure.message } };
      rejected.push(entry);
    } else {
      entry.outcome = { retry: failure.code };
    }
  }
  await routePoison(rejected, options.failures);

  const firstRetry = entries.findIndex((e) => e.outcome !== undefined && 'retry' in e.outcome);
  const retryEntry = firstRetry >= 0 ? entries[firstRetry] : undefined;
  const retryFrom = retryEntry?.origin.sequenceNumber;
  // Lambda redelivers the whole Kinesis record, and everything after it.
  const retried = retryFrom === undefined ? 0 : entries.length - entries.findIndex((e) => e.origin.sequenceNumber === retryFrom);
  const handled = entries.slice(0, entries.length - retried);
  const poisonOf = (kind: PoisonReason['kind']): number => handled.filter((e) => e.outcome && 'poison' in e.outcome && e.outcome.poison.kind === kind).length;
  return {
    response: { batchItemFailures: retryFrom === undefined ? [] : [{ itemIdentifier: retryFrom }] },
    counts: {
      kinesisRecords: event.Records.length,
      userRecords: entries.length,
      written: handled.filter((e) => e.outcome === undefined).length,
      poison: { undecodable: poisonOf('undecodable'), invalid: poisonOf('invalid'), rejected: poisonOf('rejected') },
      retried,
    },
    ...(retryEntry?.outcome && 'retry' in retryEntry.outcome ? { retryFrom: retryEntry.origin.sequenceNumber, retryReason: retryEntry.outcome.retry } : {}),
  };
}

/**
 * Re-ingestion: putting source records back into the stream that fed the transform, so a later
 * invocation handles them. AWS's blueprints do this when a response would exceed Lambda's 6 MB
 * limit; the records are then answered `Dropped` here, and nothing is lost because they are
 * durably back in the source before the response is sent. If they cannot be put back, the
 * invocation fails and Firehose retries the whole batch.
 */
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import { PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { chunkByCountAndBytes } from '../aws/chunk';
import type { FailedEntry, PartialRetryOptions } from '../aws/partial-retry';
import { sendWithPartialRetry } from '../aws/partial-retry';
import { deliveryStreamName, kinesisStreamName } from './transformation-contract';

export interface ReingestRecord {
  readonly data: Uint8Array;
  /** The source record's partition key (Kinesis sources only). */
  readonly partitionKey?: string;
}

export interface Reingester {
  /** Resolves when every record is durably accepted; throws {@link ReingestError} otherwise. */
  reingest(records: readonly ReingestRecord[]): Promise<void>;
}

export class ReingestError extends Error {
  override readonly name = 'ReingestError';
  constructor(
    readonly target: string,
    readonly failed: readonly FailedEntry<ReingestRecord>[],
    readonly attempts: number,
  ) {
    const codes = [...new Set(failed.map((f) => f.errorCode))].join(', ');
    super(`${failed.length} record(s) could not be re-ingested into ${target} after ${attempts} attempt(s): ${codes}`);
  }
}

/** `PutRecordBatch` limits. @see https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html */
export const FIREHOSE_BATCH_LIMITS = { maxRecords: 500, maxBytes: 4 * 1024 * 1024, maxRecordBytes: 1000 * 1024 } as const;
/** `PutRecords` limits (default stream record size). @see https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html */
export const KINESIS_BATCH_LIMITS = { maxRecords: 500, maxBytes: 5 * 1024 * 1024, maxRecordBytes: 1024 * 1024 } as const;

export const DEFAULT_REINGEST_RETRY: PartialRetryOptions = { maxAttempts: 6 };

async function reingestChunks(
  target: string,
  records: readonly ReingestRecord[],
  limits: { maxRecords: number; maxBytes: number },
  bytesOf: (record: ReingestRecord) => number,
  send: (batch: readonly ReingestRecord[]) => Promise<readonly FailedEntry<ReingestRecord>[]>,
  retry: PartialRetryOptions,
): Promise<void> {
  for (const chunk of chunkByCountAndBytes(records, limits.maxRecords, limits.maxBytes, bytesOf)) {
    const report = await sendWithPartialRetry(chunk, send, retry);
    if (report.failed.length > 0) throw new ReingestError(target, report.failed, report.attempts);
  }
}

/** Failed entries of a batch response, matched to the request by position (as AWS documents). */
function failedByPosition<T>(
  batch: readonly T[],
  responses: readonly { ErrorCode?: string | undefined; ErrorMessage?: string | undefined }[] | undefined,
  failedCount: number | undefined,
): FailedEntry<T>[] {
  if (!failedCount) return [];
  const failed = batch.flatMap((entry, i) => {
    const response = responses?.[i];
    return response?.ErrorCode ? [{ entry, errorCode: response.ErrorCode, errorMessage: response.ErrorMessage }] : [];
  });
  // A failure count the entries do not account for: resend them all rather than guess which
  // ones made it (a duplicate is safe downstream; a loss is not).
  return failed.length >= failedCount ? failed : batch.map((entry) => ({ entry, errorCode: 'UnattributedFailure', errorMessage: `${failedCount} failed, ${failed.length} named` }));
}

/** Re-ingests into a Direct PUT delivery stream with `PutRecordBatch`. */
export function firehoseReingester(client: FirehoseClient, deliveryStreamName: string, retry = DEFAULT_REINGEST_RETRY): Reingester {
  return {
    reingest: (records) =>
      reingestChunks(`delivery stream ${deliveryStreamName}`, records, FIREHOSE_BATCH_LIMITS, (r) => r.data.byteLength, async (batch) => {
        const out = await client.send(
          new PutRecordBatchCommand({ DeliveryStreamName: deliveryStreamName, Records: batch.map((r) => ({ Data: r.data })) }),
        );
        return failedByPosition(batch, out.RequestResponses, out.FailedPutCount);
      }, retry),
  };
}

/** Re-ingests into the Kinesis data stream that is the delivery stream's source, keeping partition keys. */
export function kinesisReingester(client: KinesisClient, streamName: string, retry = DEFAULT_REINGEST_RETRY): Reingester {
  const keyOf = (r: ReingestRecord): string => r.partitionKey ?? 'reingested';
  return {
    reingest: (records) =>
      reingestChunks(`Kinesis stream ${streamName}`, records, KINESIS_BATCH_LIMITS, (r) => r.data.byteLength + Buffer.byteLength(keyOf(r)), async (batch) => {
        const out = await client.send(
          new PutRecordsCommand({ StreamName: streamName, Records: batch.map((r) => ({ Data: r.data, PartitionKey: keyOf(r) })) }),
        );
        return failedByPosition(batch, out.Records, out.FailedRecordCount);
      }, retry),
  };
}

/** Where a batch's records go back to: the Kinesis source stream if there is one, else the delivery stream (Direct PUT). */
export function reingesterForEvent(
  event: { readonly deliveryStreamArn: string; readonly sourceKinesisStreamArn?: string },
  clients: { firehose(): FirehoseClient; kinesis(): KinesisClient },
  retry = DEFAULT_REINGEST_RETRY,
): Reingester {
  return event.sourceKinesisStreamArn
    ? kinesisReingester(clients.kinesis(), kinesisStreamName(event.sourceKinesisStreamArn), retry)
    : firehoseReingester(clients.firehose(), deliveryStreamName(event.deliveryStreamArn), retry);
}

/**
 * One `PutRecords` request and its retries: only the entries Kinesis reports failed are sent
 * again, with full-jitter backoff, until none fail or the attempts run out.
 */
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { BackoffOptions } from '../../aws/backoff';
import { sendWithPartialRetry, type FailedEntry } from '../../aws/partial-retry';
import type { StreamRef } from '../shard-map';
import type { OutgoingRecord } from './records';
import type { ReportBuilder } from './report';

export const THROTTLED = 'ProvisionedThroughputExceededException';

/** `PutRecords` answered with a different number of results than entries sent. */
export class PutRecordsResponseError extends Error {
  override readonly name = 'PutRecordsResponseError';
}

export interface PutRecordsRetryOptions {
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Sends `records` (within the request limits) until each is written or out of attempts. Each
 * success is passed to `onWritten` as soon as its attempt returns; the records still failing at
 * the end are returned with their last error.
 */
export async function putRecordsWithRetry(
  client: KinesisClient,
  stream: StreamRef,
  records: readonly OutgoingRecord[],
  options: PutRecordsRetryOptions,
  report: ReportBuilder,
  onWritten: (record: OutgoingRecord, shardId: string) => void,
): Promise<readonly FailedEntry<OutgoingRecord>[]> {
  const outcome = await sendWithPartialRetry(
    records,
    async (batch) => {
      for (const record of batch) {
        if (record.attempts > 0) report.retriedKinesisRecords++;
        record.attempts++;
      }
      report.requests++;
      let output;
      try {
        output = await client.send(
          new PutRecordsCommand({
            StreamName: stream.streamName,
            ...(stream.streamArn ? { StreamARN: stream.streamArn } : {}),
            Records: batch.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey, ...(r.explicitHashKey !== undefined ? { ExplicitHashKey: r.explicitHashKey } : {}) })),
          }),
        );
      } catch (error) {
        // The SDK has retried throttling and 5xx already; sendWithPartialRetry counts every entry failed.
        if (error instanceof Error && error.name === THROTTLED) report.throttledEntries += batch.length;
        throw error;
      }
      const results = output.Records ?? [];
      if (results.length !== batch.length) throw new PutRecordsResponseError(`PutRecords returned ${results.length} results for ${batch.length} entries`);
      const failed: FailedEntry<OutgoingRecord>[] = [];
      batch.forEach((record, i) => {
        const result = results[i]!;
        if (result.ErrorCode) {
          if (result.ErrorCode === THROTTLED) report.throttledEntries++;
          failed.push({ entry: record, errorCode: result.ErrorCode, ...(result.ErrorMessage !== undefined ? { errorMessage: result.ErrorMessage } : {}) });
        } else onWritten(record, result.ShardId ?? 'unknown');
      });
      return failed;
    },
    { maxAttempts: options.maxAttempts, backoff: options.backoff, ...(options.sleep ? { sleep: options.sleep } : {}) },
  );
  return outcome.failed;
}

/**
 * The history table: every distinct reading as one item, with BatchWriteItem PutRequests.
 *
 * BatchWriteItem takes at most 25 requests and 16 MB, and rejects the whole request
 * (ValidationException) if two requests name the same key — the batch arrives here already
 * reduced to one reading per key. DynamoDB may accept a request yet leave some items out
 * (`UnprocessedItems`, under throttling): only those are resent, with full-jitter backoff and
 * bounded attempts, as are whole requests refused for throttling. What is still unwritten then is
 * reported `transient` with the refs of every item that carried it. Puts are unconditional and
 * the item depends only on the reading, so resending or replaying is harmless.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { chunkByCountAndBytes } from '../../aws/chunk';
import type { FailedEntry } from '../../aws/partial-retry';
import { sendWithPartialRetry } from '../../aws/partial-retry';
import type { BatchReading, RefFailure, TelemetrySinkStats } from './batch-readings';
import { refsOf } from './batch-readings';
import { forEachConcurrently } from './concurrency';
import { errorMessage, errorName, isRetriable, isValidationError } from './errors';
import type { RetryPolicy } from './retry';

/** BatchWriteItem limits. */
export const BATCH_WRITE_LIMITS = { maxRequests: 25, maxBytes: 16 * 1024 * 1024 } as const;

export interface ReadingsWriterContext {
  readonly client: DynamoDBClient;
  readonly table: string;
  readonly retry: RetryPolicy;
  readonly concurrency: number;
  readonly stats: TelemetrySinkStats;
}

const keyOfItem = (item: Record<string, AttributeValue> | undefined): string => `${item?.device_id?.S}|${item?.timestamp?.S}`;

/** Writes the readings (distinct keys) and returns what could not be written. */
export async function writeReadings(readings: readonly BatchReading[], context: ReadingsWriterContext): Promise<RefFailure[]> {
  const failures: RefFailure[] = [];
  const chunks = chunkByCountAndBytes(readings, BATCH_WRITE_LIMITS.maxRequests, BATCH_WRITE_LIMITS.maxBytes, (r) => r.bytes);
  await forEachConcurrently(chunks, context.concurrency, async (chunk) => {
    failures.push(...(await writeChunk(chunk, context)));
  });
  return failures;
}

async function writeChunk(chunk: readonly BatchReading[], context: ReadingsWriterContext): Promise<RefFailure[]> {
  const { client, table, stats } = context;
  const failures: RefFailure[] = [];
  // Readings of a request DynamoDB refused as invalid: written one by one to find the culprit.
  const isolate: BatchReading[] = [];
  const send = async (batch: readonly BatchReading[]): Promise<FailedEntry<BatchReading>[]> => {
    try {
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: batch.map((r) => ({ PutRequest: { Item: r.item } })) } }));
      const unprocessed = out.UnprocessedItems?.[table] ?? [];
      if (unprocessed.length === 0) {
        stats.readingsWritten += batch.length;
        return [];
      }
      const byKey = new Map(batch.map((r) => [keyOfItem(r.item), r]));
      const failed = unprocessed.flatMap((request) => {
        const entry = byKey.get(keyOfItem(request.PutRequest?.Item));
        return entry ? [{ entry, errorCode: 'UnprocessedItems' }] : [];
      });
      // Unprocessed requests that match nothing sent: resend the whole request rather than guess.
      const retried = failed.length === unprocessed.length ? failed : batch.map((entry) => ({ entry, errorCode: 'UnprocessedItems' }));
      stats.readingsWritten += batch.length - retried.length;
      stats.unprocessedRetries += retried.length;
      return retried;
    } catch (error) {
      if (isRetriable(error)) {
        stats.throttledRequests++;
        return batch.map((entry) => ({ entry, errorCode: errorName(error), errorMessage: errorMessage(error) }));
      }
      if (isValidationError(error) && batch.length > 1) {
        isolate.push(...batch);
      } else {
        // Alone and still refused: DynamoDB rejects this value. Anything else is not about the
        // value (a missing table, no permission): the records stay in the stream for later.
        const kind = isValidationError(error) ? 'permanent' : 'transient';
        failures.push({ refs: refsOf(batch), kind, code: errorName(error), message: errorMessage(error) });
      }
      return [];
    }
  };
  const report = await sendWithPartialRetry(chunk, send, { maxAttempts: context.retry.maxAttempts, backoff: context.retry.backoff, sleep: context.retry.sleep });
  for (const { entry, errorCode, errorMessage: message } of report.failed) {
    failures.push({
      refs: entry.refs,
      kind: 'transient',
      code: errorCode,
      message: message ?? `not written after ${report.attempts} attempt(s): DynamoDB left it unprocessed`,
    });
  }
  for (const reading of isolate) failures.push(...(await writeChunk([reading], context)));
  return failures;
}

/**
 * The Lambda side of an SQS worker, shared by the standard and the FIFO one: middy with
 * Powertools logs and metrics around the batch logic — resolve Extended Client pointers, decode,
 * write to the store, answer with `ReportBatchItemFailures`, then delete the S3 payloads of the
 * messages that succeeded when configured. A handler file only says what it decodes and where it
 * writes.
 *
 * The event source mapping must have `FunctionResponseTypes: [ReportBatchItemFailures]`: without
 * it Lambda ignores the answer and deletes the whole batch, failed messages included.
 */
import middy from '@middy/core';
import type { S3Client } from '@aws-sdk/client-s3';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Logger, Metrics } from '../../observability/powertools';
import { MetricUnit } from '../../observability/powertools';
import { forEachConcurrently } from '../../sinks/dynamodb/concurrency';
import type { S3Pointer } from '../extended-payload';
import { deletePayload } from '../extended-payload';
import type { SqsBatchResult } from './batch-result';
import { processFifoBatch } from './fifo-batch';
import type { MessageDecoder, WorkerSink } from './message-outcome';
import { prepareMessages } from './prepare-messages';
import { processStandardBatch } from './standard-batch';

/** What a worker needs once per container: its store and the S3 client for large payloads. */
export interface SqsWorkerConnection<T> {
  readonly sink: WorkerSink<T>;
  /** Reads (and, when configured, deletes) the S3 objects of Extended Client pointer messages. */
  readonly s3: S3Client;
  /** Delete a pointer message's S3 object once the message succeeded (as the Extended Client does on delete). Default false. */
  readonly deletePayloadAfterSuccess?: boolean;
}

export interface SqsWorkerParts<T> {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** `fifo`: order kept per message group (see {@link processFifoBatch}); `standard`: messages independent. */
  readonly queueType: 'standard' | 'fifo';
  readonly decode: MessageDecoder<T>;
  /**
   * Made on the first invocation and kept for the container's life (made again after a failure):
   * clients are created inside the invocation so that they follow the endpoint variables the
   * environment sets.
   */
  readonly connect: () => Promise<SqsWorkerConnection<T>>;
}

/** Metric names the workers publish (count per invocation, Embedded Metric Format). */
export const SQS_WORKER_METRICS = {
  messages: 'Messages',
  applied: 'MessagesApplied',
  duplicates: 'DuplicateMessages',
  poison: 'PoisonMessages',
  retried: 'MessagesRetried',
  blocked: 'MessagesBlocked',
  fromS3: 'PayloadsFromS3',
  payloadDeleteFailures: 'PayloadDeleteFailures',
} as const;

/** A failed message, as logged: enough to find it in the queue or the DLQ. */
function describeFailure(record: SQSRecord, result: SqsBatchResult, index: number): Record<string, unknown> | undefined {
  const outcome = result.outcomes[index]!;
  if (outcome.ok) return undefined;
  return {
    messageId: record.messageId,
    receiveCount: record.attributes.ApproximateReceiveCount,
    ...(record.attributes.MessageGroupId === undefined ? {} : { messageGroupId: record.attributes.MessageGroupId }),
    ...outcome.failure,
  };
}

/** Deletes the S3 objects of succeeded pointer messages; a failure leaves an orphan object (logged, counted), never fails a message. */
async function deletePayloads(s3: S3Client, pointers: readonly S3Pointer[], logger: Logger): Promise<number> {
  let failures = 0;
  await forEachConcurrently(pointers, 10, async (pointer) => {
    try {
      await deletePayload(s3, pointer);
    } catch (error) {
      failures++;
      logger.warn('Payload of a processed message not deleted from S3', { pointer, error: error instanceof Error ? error.message : String(error) });
    }
  });
  return failures;
}

/**
 * A middy handler for an SQS worker. It answers `{ batchItemFailures }` with the failed message
 * ids (empty when all succeeded, every id when all failed) and throws only when the batch as a
 * whole cannot be handled (the store unreachable in a way it does not report per item, a
 * deployment error such as a missing variable): Lambda then retries every message of the batch.
 */
export function createSqsWorkerHandler<T>(parts: SqsWorkerParts<T>) {
  const { logger, metrics } = parts;
  const processBatch = parts.queueType === 'fifo' ? processFifoBatch : processStandardBatch;
  let connected: Promise<SqsWorkerConnection<T>> | undefined;
  return middy(async (event: SQSEvent): Promise<SQSBatchResponse> => {
    connected ??= parts.connect().catch((error: unknown) => {
      connected = undefined;
      throw error;
    });
    const connection = await connected;
    const prepared = await prepareMessages(event.Records, { decode: parts.decode, s3: connection.s3 });
    const result = await processBatch(prepared, connection.sink);
    const { counts } = result;
    const poison = counts.poison.undecodable + counts.poison.invalid + counts.poison.payload + counts.poison.rejected;
    const deleteFailures = connection.deletePayloadAfterSuccess && result.succeededPayloads.length > 0
      ? await deletePayloads(connection.s3, result.succeededPayloads, logger)
      : 0;

    metrics.addMetric(SQS_WORKER_METRICS.messages, MetricUnit.Count, counts.messages);
    metrics.addMetric(SQS_WORKER_METRICS.applied, MetricUnit.Count, counts.applied);
    metrics.addMetric(SQS_WORKER_METRICS.duplicates, MetricUnit.Count, counts.duplicates);
    metrics.addMetric(SQS_WORKER_METRICS.poison, MetricUnit.Count, poison);
    metrics.addMetric(SQS_WORKER_METRICS.retried, MetricUnit.Count, counts.transient);
    if (parts.queueType === 'fifo') metrics.addMetric(SQS_WORKER_METRICS.blocked, MetricUnit.Count, counts.blocked);
    if (counts.fromS3 > 0) metrics.addMetric(SQS_WORKER_METRICS.fromS3, MetricUnit.Count, counts.fromS3);
    if (deleteFailures > 0) metrics.addMetric(SQS_WORKER_METRICS.payloadDeleteFailures, MetricUnit.Count, deleteFailures);

    if (result.response.batchItemFailures.length > 0) {
      const failures = event.Records.flatMap((record, i) => {
        const described = describeFailure(record, result, i);
        return described === undefined ? [] : [described];
      });
      // Poison messages are reported failed like the others: the redrive policy moves them to the
      // DLQ after maxReceiveCount receives. Logged at error level so that they can be alarmed on.
      const poisonMessages = failures.filter((f) => f.kind === 'poison');
      if (poisonMessages.length > 0) logger.error('Poison messages reported failed; the redrive policy moves them to the DLQ', { poison: poisonMessages });
      const others = failures.filter((f) => f.kind !== 'poison');
      if (others.length > 0) logger.warn('Messages reported failed for redelivery', { failures: others });
    }
    logger.info('Batch processed', { ...counts, failed: result.response.batchItemFailures.length });
    return result.response;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

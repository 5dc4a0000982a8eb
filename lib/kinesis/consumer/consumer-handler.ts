/**
 * The Lambda side of a Kinesis consumer, shared by every handler that loads a stream into a
 * store: middy with Powertools logs and metrics around {@link consumeKinesisBatch}. A handler
 * file only says what it decodes and where it writes.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { Logger, Metrics } from '../../observability/powertools';
import { MetricUnit } from '../../observability/powertools';
import type { FailureDestination } from '../../sinks/failures/failure-destination';
import type { Sink } from '../../sinks/sink';
import type { DecodeResult } from './consume-batch';
import { consumeKinesisBatch } from './consume-batch';

export interface KinesisConsumerParts<T> {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly decode: (data: Buffer) => DecodeResult<T>;
  /**
   * Made on the first invocation and kept for the container's life: clients are created inside
   * the invocation so that they follow the endpoint variables the environment sets.
   */
  readonly connect: () => Promise<{ readonly sink: Sink<T>; readonly failures: FailureDestination }>;
}

export function createKinesisConsumerHandler<T>(parts: KinesisConsumerParts<T>) {
  const { logger, metrics } = parts;
  let connected: ReturnType<KinesisConsumerParts<T>['connect']> | undefined;
  return middy(async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    connected ??= parts.connect().catch((error: unknown) => {
      connected = undefined;
      throw error;
    });
    const { sink, failures } = await connected;
    const { response, counts, retryFrom, retryReason } = await consumeKinesisBatch(event, { decode: parts.decode, sink, failures });
    const poison = counts.poison.undecodable + counts.poison.invalid + counts.poison.rejected;
    metrics.addMetric('UserRecords', MetricUnit.Count, counts.userRecords);
    metrics.addMetric('RecordsWritten', MetricUnit.Count, counts.written);
    metrics.addMetric('PoisonRecords', MetricUnit.Count, poison);
    metrics.addMetric('RecordsRetried', MetricUnit.Count, counts.retried);
    if (poison > 0) logger.warn('Poison records sent to the failure destination', { poison: counts.poison });
    if (retryFrom !== undefined) logger.warn('Batch partly failed; Lambda retries from a sequence number', { retryFrom, retryReason, retried: counts.retried });
    logger.info('Batch consumed', { ...counts, shard: event.Records[0]?.eventID.split(':')[0] });
    return response;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

/**
 * Kinesis Data Firehose transformation: CSV records in, newline-delimited JSON out, with
 * dynamic-partitioning keys. The logic lives in lib/firehose; this file wires it to Lambda.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { AwsClients } from '../lib/aws/clients';
import { createAwsClients } from '../lib/aws/clients';
import { compileCsvRecordTransform } from '../lib/firehose/csv-record-transform';
import type { Reingester } from '../lib/firehose/reingest';
import { reingesterForEvent } from '../lib/firehose/reingest';
import { transformBatch } from '../lib/firehose/transform-batch';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from '../lib/firehose/transformation-contract';
import type { Logger, Metrics } from '../lib/observability/powertools';
import { createLogger, createMetrics, MetricUnit } from '../lib/observability/powertools';
import { getSchema } from '../lib/schemas/registry';

export interface FirehoseCsvToJsonOptions {
  readonly schemaName?: string;
  readonly clients?: AwsClients;
  /** Where overflow and split records go back to; by default the event's own source. */
  readonly reingesterFor?: (event: FirehoseTransformationEvent) => Reingester;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly responseBudgetBytes?: number;
}

export function createHandler(options: FirehoseCsvToJsonOptions = {}) {
  const logger = options.logger ?? createLogger('firehose-csv-to-json');
  const metrics = options.metrics ?? createMetrics('firehose-csv-to-json');
  const transform = compileCsvRecordTransform(getSchema(options.schemaName ?? process.env.SCHEMA_NAME ?? 'clickstream'));
  const clients = options.clients ?? createAwsClients();
  const reingesterFor = options.reingesterFor ?? ((event: FirehoseTransformationEvent) => reingesterForEvent(event, clients));

  return middy(async (event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> => {
    const { response, counts } = await transformBatch(event, {
      transform, logger, reingester: reingesterFor(event),
      ...(options.responseBudgetBytes ? { responseBudgetBytes: options.responseBudgetBytes } : {}),
    });
    metrics.addMetric('RecordsOk', MetricUnit.Count, counts.ok);
    metrics.addMetric('RecordsDropped', MetricUnit.Count, counts.dropped);
    metrics.addMetric('RecordsProcessingFailed', MetricUnit.Count, counts.processingFailed);
    metrics.addMetric('RecordsReingested', MetricUnit.Count, counts.reingested);
    metrics.addMetric('RowsOk', MetricUnit.Count, counts.rowsOk);
    metrics.addMetric('ResponseBytes', MetricUnit.Bytes, counts.responseBytes);
    logger.info('Batch transformed', { invocationId: event.invocationId, ...counts });
    return response;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

export const handler = createHandler();

/**
 * S3 ObjectCreated on the raw zone → Parquet in the curated zone (Hive partitions kept), bad
 * lines beside it under the error prefix. Throws when an object cannot be converted, so that
 * Lambda's asynchronous retries and then the on-failure destination take over.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { S3Event } from 'aws-lambda';
import type { AwsClients } from '../lib/aws/clients';
import { createAwsClients } from '../lib/aws/clients';
import { rawObjectToParquet } from '../lib/curated/raw-to-parquet';
import type { RawToParquetResult } from '../lib/curated/raw-to-parquet';
import { DuckDbParquetEngine } from '../lib/formats/parquet';
import type { Logger, Metrics } from '../lib/observability/powertools';
import { createLogger, createMetrics, MetricUnit } from '../lib/observability/powertools';
import { getSchema } from '../lib/schemas/registry';

export interface JsonToParquetOptions {
  readonly schemaName?: string;
  readonly clients?: AwsClients;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** The object key from an S3 event: URL-encoded, with spaces as `+`. */
export const decodeS3Key = (key: string): string => decodeURIComponent(key.replace(/\+/g, ' '));

export function createHandler(options: JsonToParquetOptions = {}) {
  const logger = options.logger ?? createLogger('json-to-parquet');
  const metrics = options.metrics ?? createMetrics('json-to-parquet');
  const schema = getSchema(options.schemaName ?? process.env.SCHEMA_NAME ?? 'clickstream');
  const clients = options.clients ?? createAwsClients();
  // One DuckDB per container, opened on first use; it spills under /tmp beyond half the memory.
  let engine: Promise<DuckDbParquetEngine> | undefined;
  const memoryMb = Number(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? 1024);

  return middy(async (event: S3Event): Promise<{ converted: RawToParquetResult[] }> => {
    engine ??= DuckDbParquetEngine.open({ threads: 1, memoryLimit: `${Math.floor(memoryMb / 2)}MB`, tempDirectory: '/tmp/duckdb' });
    const converted: RawToParquetResult[] = [];
    for (const record of event.Records) {
      const bucket = record.s3.bucket.name;
      const key = decodeS3Key(record.s3.object.key);
      const result = await rawObjectToParquet(bucket, key, { s3: clients.s3(), engine: await engine, schema });
      if (result.badLines > 0) logger.warn('Bad lines sent to the error prefix', { bucket, key, errorKey: result.errorKey, badLines: result.badLines });
      metrics.addMetric('RowsWritten', MetricUnit.Count, result.rows);
      metrics.addMetric('BadLines', MetricUnit.Count, result.badLines);
      metrics.addMetric('ParquetBytes', MetricUnit.Bytes, result.parquetBytes);
      logger.info('Converted to Parquet', { ...result });
      converted.push(result);
    }
    return { converted };
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}

export const handler = createHandler();

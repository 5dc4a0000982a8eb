/**
 * Telemetry stream → DynamoDB: each reading into the history table, the newest per device into
 * the state table, and into its device's per-minute aggregate — idempotently, so replays and
 * duplicates change nothing. Poison records go to S3 with their payload; transient failures are
 * reported to Lambda (ReportBatchItemFailures) so the shard resumes at the first of them.
 */
import type { AwsClients } from '../lib/aws/clients';
import { createAwsClients } from '../lib/aws/clients';
import { createKinesisConsumerHandler } from '../lib/kinesis/consumer/consumer-handler';
import { requiredEnv } from '../lib/aws/function-environment';
import type { Logger, Metrics } from '../lib/observability/powertools';
import { createLogger, createMetrics } from '../lib/observability/powertools';
import { TelemetryDynamoDbSink } from '../lib/sinks/dynamodb';
import { S3FailureDestination } from '../lib/sinks/failures/s3-failure-destination';
import type { Reading } from '../lib/telemetry/reading';
import { parseReading } from '../lib/telemetry/reading';

export interface KinesisToDynamoDbOptions {
  readonly clients?: AwsClients;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly env?: NodeJS.ProcessEnv;
}

export function createHandler(options: KinesisToDynamoDbOptions = {}) {
  const clients = options.clients ?? createAwsClients();
  const env = options.env ?? process.env;
  return createKinesisConsumerHandler<Reading>({
    logger: options.logger ?? createLogger('kinesis-to-dynamodb'),
    metrics: options.metrics ?? createMetrics('kinesis-to-dynamodb'),
    decode: (data) => {
      const result = parseReading(data);
      return result.ok ? { ok: true, value: result.reading } : result;
    },
    connect: () => Promise.resolve({
      sink: new TelemetryDynamoDbSink({
        client: clients.dynamodb(),
        tables: { readings: requiredEnv('READINGS_TABLE', env), deviceState: requiredEnv('DEVICE_STATE_TABLE', env), minuteAggregates: requiredEnv('MINUTE_AGGREGATES_TABLE', env) },
      }),
      failures: new S3FailureDestination({
        s3: clients.s3(), bucket: requiredEnv('FAILURE_BUCKET', env), prefix: requiredEnv('FAILURE_PREFIX', env), functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? 'kinesis-to-dynamodb',
      }),
    }),
  });
}

export const handler = createHandler();

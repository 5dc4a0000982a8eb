/**
 * CDC stream (DMS Kinesis JSON) → DynamoDB, one table per source table, ordered per row,
 * idempotent and monotonic (lib/cdc/apply): duplicates, redeliveries and retries from an
 * earlier sequence number never move a row backwards. A message that is not a valid DMS change
 * goes to S3 with its payload and the field at fault; transient failures are reported to Lambda
 * (ReportBatchItemFailures) so the shard resumes at the first of them.
 *
 * Environment: `CDC_TARGET_TABLE_PREFIX` (target tables are `<prefix><schema>-<table>`),
 * optional `CDC_TABLE_MAPPING` (JSON `{"schema.table": "table name"}` overrides), `CDC_DELETES`
 * (`remove`, the default, or `tombstone`), `FAILURE_BUCKET`, `FAILURE_PREFIX`.
 */
import type { AwsClients } from '../lib/aws/clients';
import { createAwsClients } from '../lib/aws/clients';
import { DynamoDbChangeApplier, targetTableResolverFromEnv } from '../lib/cdc/apply';
import type { ChangeEvent } from '../lib/cdc/change-event';
import { decodeDmsRecord, deleteModeFromEnv } from '../lib/cdc/replay/lambda-settings';
import { createKinesisConsumerHandler } from '../lib/kinesis/consumer/consumer-handler';
import { requiredEnv } from '../lib/aws/function-environment';
import type { Logger, Metrics } from '../lib/observability/powertools';
import { createLogger, createMetrics } from '../lib/observability/powertools';
import { S3FailureDestination } from '../lib/sinks/failures/s3-failure-destination';

export interface CdcReplayOptions {
  readonly clients?: AwsClients;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly env?: NodeJS.ProcessEnv;
}

export function createHandler(options: CdcReplayOptions = {}) {
  const clients = options.clients ?? createAwsClients();
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger('cdc-replay');
  return createKinesisConsumerHandler<ChangeEvent>({
    logger,
    metrics: options.metrics ?? createMetrics('cdc-replay'),
    decode: decodeDmsRecord,
    connect: () => Promise.resolve({
      sink: new DynamoDbChangeApplier({
        client: clients.dynamodb(),
        targetTableOf: targetTableResolverFromEnv({ ...env, CDC_TARGET_TABLE_PREFIX: requiredEnv('CDC_TARGET_TABLE_PREFIX', env) }),
        deletes: deleteModeFromEnv(env),
        onControlChange: ({ change, action, targetTable, items }) =>
          logger[action === 'ignored' ? 'warn' : 'info'](action === 'ignored' ? 'Control change counted, not applied' : 'Table truncated', {
            operation: change.operation, source: `${change.schema}.${change.table}`, targetTable, items,
          }),
      }),
      failures: new S3FailureDestination({
        s3: clients.s3(), bucket: requiredEnv('FAILURE_BUCKET', env), prefix: requiredEnv('FAILURE_PREFIX', env), functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? 'cdc-replay',
      }),
    }),
  });
}

export const handler = createHandler();

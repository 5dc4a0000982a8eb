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
import type { DeleteMode } from '../lib/cdc/apply';
import { DELETE_MODES, DynamoDbChangeApplier, targetTableResolverFromEnv } from '../lib/cdc/apply';
import type { ChangeEvent } from '../lib/cdc/change-event';
import { ChangeFormatError } from '../lib/cdc/change-event';
import { parseDmsKinesisMessage } from '../lib/cdc/formats/dms-kinesis';
import type { DecodeResult } from '../lib/kinesis/consumer/consume-batch';
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

/** A DMS Kinesis record → a change event, or the field and reason it is not one. */
export function decodeDmsRecord(data: Buffer): DecodeResult<ChangeEvent> {
  try {
    return { ok: true, value: parseDmsKinesisMessage(data) };
  } catch (error) {
    if (error instanceof ChangeFormatError) return { ok: false, error: { field: error.field, reason: error.reason } };
    throw error;
  }
}

/** A configuration error: `CDC_DELETES` names no delete mode. */
export class InvalidDeleteModeError extends Error {
  override readonly name = 'InvalidDeleteModeError';
}

function deleteMode(env: NodeJS.ProcessEnv): DeleteMode {
  const value = env.CDC_DELETES || 'remove';
  if (!(DELETE_MODES as readonly string[]).includes(value)) throw new InvalidDeleteModeError(`CDC_DELETES must be one of ${DELETE_MODES.join(', ')}, got ${JSON.stringify(value)}`);
  return value as DeleteMode;
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
        deletes: deleteMode(env),
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

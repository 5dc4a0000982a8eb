/**
 * Ledger queue (FIFO, one message group per account) → DynamoDB: each account's entries applied
 * strictly in order with a running balance, each exactly once in effect (conditional on the
 * account's last applied sequence). After a failure in a group, that message and every later one
 * of the same group in the batch are reported failed, so the group comes back in order; the other
 * groups go on. Large entries sent through S3 (Extended Client pointers) are read transparently;
 * poison messages reach the DLQ through the redrive policy.
 */
import type { AwsClients } from '../lib/aws/clients';
import { createAwsClients } from '../lib/aws/clients';
import { requiredEnv } from '../lib/aws/function-environment';
import type { Logger, Metrics } from '../lib/observability/powertools';
import { createLogger, createMetrics } from '../lib/observability/powertools';
import { LedgerDynamoDbSink } from '../lib/sinks/dynamodb-ledger';
import { createSqsWorkerHandler } from '../lib/sqs/batch';
import { booleanEnv, SQS_WORKER_ENV } from '../lib/sqs/workers/environment';
import type { LedgerEntry } from '../lib/sqs/workers/ledger-entry';
import { decodeLedgerEntry } from '../lib/sqs/workers/ledger-entry';

export interface SqsFifoWorkerOptions {
  readonly clients?: AwsClients;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly env?: NodeJS.ProcessEnv;
}

export function createHandler(options: SqsFifoWorkerOptions = {}) {
  const clients = options.clients ?? createAwsClients();
  const env = options.env ?? process.env;
  return createSqsWorkerHandler<LedgerEntry>({
    logger: options.logger ?? createLogger('sqs-fifo-worker'),
    metrics: options.metrics ?? createMetrics('sqs-fifo-worker'),
    queueType: 'fifo',
    decode: decodeLedgerEntry,
    connect: () => Promise.resolve({
      sink: new LedgerDynamoDbSink({
        client: clients.dynamodb(),
        tables: { entries: requiredEnv(SQS_WORKER_ENV.ledgerTable, env), accounts: requiredEnv(SQS_WORKER_ENV.accountsTable, env) },
      }),
      s3: clients.s3(),
      deletePayloadAfterSuccess: booleanEnv(SQS_WORKER_ENV.deletePayloadAfterSuccess, false, env),
    }),
  });
}

export const handler = createHandler();

/**
 * Votes queue (standard) → DynamoDB: each vote recorded once and its poll option's tally
 * incremented exactly once in effect, in one transaction, so redelivered and duplicated messages
 * change nothing. Large votes sent through S3 (Extended Client pointers) are read transparently.
 * Failed messages are reported with ReportBatchItemFailures: transient ones come back after the
 * visibility timeout; poison ones (not JSON, against schemas/vote.json, a bad pointer) too, until
 * the redrive policy moves them to the DLQ after maxReceiveCount receives.
 */
import type { AwsClients } from '../lib/aws/clients';
import { createAwsClients } from '../lib/aws/clients';
import { requiredEnv } from '../lib/aws/function-environment';
import type { Logger, Metrics } from '../lib/observability/powertools';
import { createLogger, createMetrics } from '../lib/observability/powertools';
import { VotesDynamoDbSink } from '../lib/sinks/dynamodb-votes';
import { createSqsWorkerHandler } from '../lib/sqs/batch';
import { booleanEnv, SQS_WORKER_ENV } from '../lib/sqs/workers/environment';
import type { Vote } from '../lib/sqs/workers/vote';
import { decodeVote } from '../lib/sqs/workers/vote';

export interface SqsWorkerOptions {
  readonly clients?: AwsClients;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly env?: NodeJS.ProcessEnv;
}

export function createHandler(options: SqsWorkerOptions = {}) {
  const clients = options.clients ?? createAwsClients();
  const env = options.env ?? process.env;
  return createSqsWorkerHandler<Vote>({
    logger: options.logger ?? createLogger('sqs-worker'),
    metrics: options.metrics ?? createMetrics('sqs-worker'),
    queueType: 'standard',
    decode: decodeVote,
    connect: () => Promise.resolve({
      sink: new VotesDynamoDbSink({
        client: clients.dynamodb(),
        tables: { votes: requiredEnv(SQS_WORKER_ENV.votesTable, env), tallies: requiredEnv(SQS_WORKER_ENV.voteTalliesTable, env) },
      }),
      s3: clients.s3(),
      deletePayloadAfterSuccess: booleanEnv(SQS_WORKER_ENV.deletePayloadAfterSuccess, false, env),
    }),
  });
}

export const handler = createHandler();

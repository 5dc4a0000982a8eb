/**
 * Telemetry stream → OpenSearch: readings indexed with `_bulk` into daily indices (the index
 * template is computed from schemas/telemetry.json and installed on the first invocation),
 * with ids derived from the reading so retries and replays overwrite rather than duplicate.
 * Throttled and 5xx items are retried by the sink; documents OpenSearch rejects (mapping errors)
 * go to S3 with their payload; what still fails is reported to Lambda by sequence number.
 */
import type { AwsClients } from '../lib/aws/clients';
import { createAwsClients } from '../lib/aws/clients';
import { createKinesisConsumerHandler } from '../lib/kinesis/consumer/consumer-handler';
import { requiredEnv } from '../lib/aws/function-environment';
import type { Logger, Metrics } from '../lib/observability/powertools';
import { createLogger, createMetrics } from '../lib/observability/powertools';
import { S3FailureDestination } from '../lib/sinks/failures/s3-failure-destination';
import { createOpenSearchClient, ensureIndexTemplate, OpenSearchBulkSink } from '../lib/sinks/opensearch';
import type { IndexTemplateApi, OpenSearchBulkApi } from '../lib/sinks/opensearch';
import { TELEMETRY_TEMPLATE_NAME, telemetryDocumentId, telemetryDocumentOf, telemetryIndexOf, telemetryIndexTemplate } from '../lib/sinks/opensearch/telemetry';
import type { Reading } from '../lib/telemetry/reading';
import { parseReading } from '../lib/telemetry/reading';

export interface KinesisToOpenSearchOptions {
  readonly clients?: AwsClients;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly env?: NodeJS.ProcessEnv;
  /** Default: a SigV4-signing client for `OPENSEARCH_ENDPOINT`. */
  readonly openSearch?: OpenSearchBulkApi & IndexTemplateApi;
}

export function createHandler(options: KinesisToOpenSearchOptions = {}) {
  const clients = options.clients ?? createAwsClients();
  const env = options.env ?? process.env;
  return createKinesisConsumerHandler<Reading>({
    logger: options.logger ?? createLogger('kinesis-to-opensearch'),
    metrics: options.metrics ?? createMetrics('kinesis-to-opensearch'),
    decode: (data) => {
      const result = parseReading(data);
      return result.ok ? { ok: true, value: result.reading } : result;
    },
    connect: async () => {
      const prefix = requiredEnv('OPENSEARCH_INDEX_PREFIX', env);
      // Locally the runtime points every client at an emulator through `AWS_ENDPOINT_URL_*`, the
      // only variables serverless-offline passes besides the declared ones (whose value here is
      // a CloudFormation intrinsic); on AWS only OPENSEARCH_ENDPOINT is set.
      const endpoint = env.AWS_ENDPOINT_URL_OPENSEARCH ?? requiredEnv('OPENSEARCH_ENDPOINT', env);
      const client = options.openSearch ?? createOpenSearchClient({ endpoint, region: env.AWS_REGION ?? 'us-east-1' });
      await ensureIndexTemplate(client, `${prefix}-${TELEMETRY_TEMPLATE_NAME}`, telemetryIndexTemplate(prefix));
      return {
        sink: new OpenSearchBulkSink<Reading>({
          client,
          indexOf: (reading) => telemetryIndexOf(reading, prefix),
          idOf: telemetryDocumentId,
          documentOf: telemetryDocumentOf,
        }),
        failures: new S3FailureDestination({
          s3: clients.s3(), bucket: requiredEnv('FAILURE_BUCKET', env), prefix: requiredEnv('FAILURE_PREFIX', env), functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? 'kinesis-to-opensearch',
        }),
      };
    },
  });
}

export const handler = createHandler();

/**
 * Structured logs and CloudWatch metrics (Embedded Metric Format) through Powertools for AWS
 * Lambda. Service name and namespace come from the standard POWERTOOLS_* variables set in
 * serverless.yml; the defaults here serve local runs.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

export function createMetrics(serviceName: string): Metrics {
  return new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Shardline' });
}

export { MetricUnit } from '@aws-lambda-powertools/metrics';
export type { Logger } from '@aws-lambda-powertools/logger';
export type { Metrics } from '@aws-lambda-powertools/metrics';

/** The DynamoDB sink for device telemetry: history, latest state per device, per-minute aggregates. */
export { TelemetryDynamoDbSink, DEFAULT_CONCURRENCY, DEFAULT_MAX_ATTEMPTS, DEFAULT_RETENTION_DAYS } from './telemetry-sink';
export type { TelemetryDynamoDbSinkOptions, TelemetrySinkResult } from './telemetry-sink';
export type { TelemetrySinkStats } from './batch-readings';
export { isNewerReading } from './batch-readings';
export { TELEMETRY_TABLE_KEYS, EXPIRES_AT } from './tables';
export type { TableKeyDefinition, TelemetryTables } from './tables';
export { InvalidSinkOptionsError, RETRIABLE_ERROR_NAMES } from './errors';
export { AGGREGATED_METRICS, AGGREGATE_ATTRIBUTES, CorruptAggregateError, memberOf, parseAggregateItem } from './minute-aggregate';
export type { AggregatedMetric, MetricSummary, MinuteAggregate, StoredAggregate } from './minute-aggregate';
export { TIMESTAMP_MS, UPDATED_AT } from './reading-items';
export type { RejectionCode } from './reading-items';
export { BATCH_WRITE_LIMITS } from './readings-writer';
export { BATCH_GET_MAX_KEYS, DEFAULT_MAX_CONFLICT_RETRIES } from './minute-aggregates-writer';
export { MAX_ITEM_BYTES, itemBytes } from './item-size';
export { DecimalFormatError, formatDecimal, parseDecimal } from './decimal';
export type { Decimal } from './decimal';

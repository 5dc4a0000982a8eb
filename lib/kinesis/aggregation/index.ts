/** KPL aggregation: the record format, an incremental aggregate builder, and strict de-aggregation. */
export { KPL_MAGIC, KPL_DIGEST_BYTES, KPL_OVERHEAD_BYTES, KplFormatError, type KplFormatErrorReason, type UserRecord, type UserRecordInput } from './kpl-format';
export { AggregateBuilder, aggregate, aggregatedSize } from './aggregate-builder';
export { isAggregated, deaggregate } from './deaggregate';

/** The Kinesis producer: KPL-like buffering, per-shard aggregation, partial-failure retries and a report. */
export { KinesisProducer, ProducerClosedError, type PutOptions } from './kinesis-producer';
export { PRODUCER_DEFAULTS, ProducerConfigError, SYSTEM_CLOCK, type KinesisProducerOptions, type ProducerClock } from './options';
export { RejectionCode, hotShardSummary, type HotShardSummary, type ProducerFailure, type ProducerReport, type ShardStats } from './report';
export { fieldPartitionKey, partitionKeyStrategy, randomPartitionKey, randomPartitionKeyStrategy, type PartitionKeyStrategy } from './partition-keys';
export { PutRecordsResponseError } from './put-records';
export { readShard, readStream, type ReadBackRecord, type ShardContents } from './read-back';

/** Change events into DynamoDB: one table per source table, ordered per row, idempotent and monotonic. */
export { DynamoDbChangeApplier, DELETE_MODES, DEFAULT_APPLY_CONCURRENCY, DEFAULT_APPLY_MAX_ATTEMPTS, DEFAULT_TOMBSTONE_TTL_SECONDS } from './dynamodb-change-applier';
export type { ChangeApplierResult, ChangeApplierStats, ControlChangeReport, DeleteMode, DynamoDbChangeApplierOptions } from './dynamodb-change-applier';
export { parseTableMapping, targetTableResolver, targetTableResolverFromEnv } from './table-mapping';
export type { TargetTableOf, TargetTableResolverOptions } from './table-mapping';
export { sourceTableSpecs, tableSpecOfSource, targetKeyDefinition, keyKindOf } from './table-specs';
export type { ApplyTableSpec, TableSpecOf, TargetKeyDefinition } from './table-specs';
export { attributeKindOf, attributeValueOf, dynamoNumberText } from './attribute-values';
export type { AttributeKind } from './attribute-values';
export { CDC_ATTRIBUTES, CDC_COMMIT_TIMESTAMP, CDC_DELETED, CDC_EXPIRES_AT, CDC_OPERATION, CDC_POSITION } from './item-attributes';
export { DELETE_IF_OLDER, PUT_IF_OLDER } from './conditional-writes';
export { ChangeRejection, InvalidApplierOptionsError, TableMappingError } from './errors';
export type { ChangeRejectionCode } from './errors';

/**
 * The three telemetry tables: their injected names and their fixed key schemas (serverless.yml
 * declares the same keys; the sink writes these attribute names).
 */
import type { AttributeDefinition, KeySchemaElement } from '@aws-sdk/client-dynamodb';

/** Physical table names, injected (from the function's environment on AWS). */
export interface TelemetryTables {
  /** History: one item per reading. HASH `device_id`, RANGE `timestamp`. */
  readonly readings: string;
  /** The newest reading of each device. HASH `device_id`. */
  readonly deviceState: string;
  /** One item per device and UTC minute. HASH `device_id`, RANGE `minute`. */
  readonly minuteAggregates: string;
}

/** The TTL attribute of the readings and aggregates tables (epoch seconds). */
export const EXPIRES_AT = 'expires_at';

/** A table's key, in the shape CreateTable (and CloudFormation) takes it. */
export interface TableKeyDefinition {
  readonly KeySchema: readonly KeySchemaElement[];
  readonly AttributeDefinitions: readonly AttributeDefinition[];
}

/** The key schema of each table, e.g. to create them for tests or locally. */
export const TELEMETRY_TABLE_KEYS: Readonly<Record<keyof TelemetryTables, TableKeyDefinition>> = {
  readings: {
    KeySchema: [{ AttributeName: 'device_id', KeyType: 'HASH' }, { AttributeName: 'timestamp', KeyType: 'RANGE' }],
    AttributeDefinitions: [{ AttributeName: 'device_id', AttributeType: 'S' }, { AttributeName: 'timestamp', AttributeType: 'S' }],
  },
  deviceState: {
    KeySchema: [{ AttributeName: 'device_id', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'device_id', AttributeType: 'S' }],
  },
  minuteAggregates: {
    KeySchema: [{ AttributeName: 'device_id', KeyType: 'HASH' }, { AttributeName: 'minute', KeyType: 'RANGE' }],
    AttributeDefinitions: [{ AttributeName: 'device_id', AttributeType: 'S' }, { AttributeName: 'minute', AttributeType: 'S' }],
  },
};

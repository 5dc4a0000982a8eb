/**
 * What serverless.yml declares for the CDC source (`${file(./lib/cdc/serverless-tables.cjs):shop}`),
 * computed from schemas/cdc/shop.json at `serverless package` time, so that the DynamoDB target
 * tables and the DMS task never drift from the source's description:
 *  - per source table, the target table's key schema and attribute definitions (HASH = first
 *    primary-key column, RANGE = second if any; N for number columns — bigint, integer,
 *    numeric … — S otherwise: what the replay writes them as);
 *  - the DMS table mappings (a JSON string, as AWS::DMS::ReplicationTask takes it): the source's
 *    tables, one by one, each streamed with the row's primary key as Kinesis partition key;
 *  - the DMS task settings (a JSON string), commented below setting by setting.
 * CommonJS because the framework's variable resolver loads it with `require`.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

/** Key columns a DynamoDB key schema can hold: a partition key and at most one sort key. */
const MAX_KEY_COLUMNS = 2;

/**
 * PostgreSQL number types, whose values the applier writes as `N` (the same list as
 * NUMERIC_TYPES in lib/cdc/apply/attribute-values.ts; tests/integration/serverless-package
 * checks that the two agree).
 */
const NUMERIC_TYPES = new Set([
  'smallint', 'integer', 'int', 'bigint', 'int2', 'int4', 'int8', 'smallserial', 'serial', 'bigserial', 'serial2', 'serial4', 'serial8',
  'numeric', 'decimal', 'real', 'float4', 'float8', 'double precision', 'float',
]);

/**
 * DynamoDB scalar type of a key column, from its PostgreSQL type: N for number types
 * (`numeric(14,2)` is `numeric`), S for everything else (text, uuid, timestamps, arrays…).
 */
function attributeType(pgType) {
  const base = pgType.trim().toLowerCase().replace(/\s*\(.*\)\s*/, '').replace(/\s+/g, ' ');
  return !base.endsWith('[]') && NUMERIC_TYPES.has(base) ? 'N' : 'S';
}

/**
 * A schema or table name as a DMS object locator that matches that name only: `%` and `_` are
 * wildcards there (`order_lines` would also select `orderXlines`), `[_]` and `[%]` are the
 * literal characters. Throws on brackets, which a locator cannot spell literally.
 */
function dmsLiteral(name) {
  if (/[[\]]/.test(name)) throw new Error(`${name}: a DMS object locator cannot match brackets literally`);
  return name.replace(/[_%]/g, (wildcard) => `[${wildcard}]`);
}

function readSource(name) {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'schemas', 'cdc', `${name}.json`), 'utf8'));
}

/** `{ KeySchema, AttributeDefinitions }` of one source table's DynamoDB target. Throws on a key DynamoDB cannot hold. */
function targetKeys(schema, tableName, table) {
  const key = table.key || [];
  if (key.length === 0 || key.length > MAX_KEY_COLUMNS) {
    throw new Error(`${schema}.${tableName}: a DynamoDB key holds 1 or 2 columns, the primary key has ${key.length}`);
  }
  return {
    KeySchema: key.map((column, i) => ({ AttributeName: column, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
    AttributeDefinitions: key.map((column) => {
      const definition = table.columns[column];
      if (!definition) throw new Error(`${schema}.${tableName}: key column ${column} is not among its columns`);
      // The applier writes booleans as BOOL, which no DynamoDB key attribute can be.
      if (/^bool(ean)?$/i.test(definition.type.trim())) throw new Error(`${schema}.${tableName}: boolean key column ${column} cannot be a DynamoDB key`);
      return { AttributeName: column, AttributeType: attributeType(definition.type) };
    }),
  };
}

/**
 * DMS table mappings: one selection rule per source table (nothing else of the database is
 * read), and one object-mapping rule per table that keys each Kinesis record by the row's
 * primary key (prefixed with schema and table by the endpoint's PartitionIncludeSchemaTable):
 * all changes of a row land on one shard, in commit order, while the tables' rows spread over
 * every shard. `map-record-to-record` keeps each column as its own attribute under `data`.
 */
function tableMappings(schema, tableNames) {
  const selection = tableNames.map((table, i) => ({
    'rule-type': 'selection',
    'rule-id': String(i + 1),
    'rule-name': `include_${schema}_${table}`,
    'object-locator': { 'schema-name': dmsLiteral(schema), 'table-name': dmsLiteral(table) },
    'rule-action': 'include',
  }));
  const objectMapping = tableNames.map((table, i) => ({
    'rule-type': 'object-mapping',
    'rule-id': String(tableNames.length + i + 1),
    'rule-name': `map_${schema}_${table}`,
    'rule-action': 'map-record-to-record',
    'object-locator': { 'schema-name': dmsLiteral(schema), 'table-name': dmsLiteral(table) },
    'mapping-parameters': { 'partition-key-type': 'primary-key' },
  }));
  return { rules: [...selection, ...objectMapping] };
}

/** DMS task settings for a PostgreSQL → Kinesis full-load-and-cdc task. */
const TASK_SETTINGS = {
  TargetMetadata: {
    // PostgreSQL `text` is a LOB to DMS (NCLOB). Limited LOB mode sends LOBs inline, up to
    // LobMaxSize KB each; a Kinesis record holds at most 1 MiB, so 64 KB leaves room for a row's
    // other columns and its before image. A longer value fails the task rather than being
    // truncated (the source endpoint's FailTasksOnLobTruncation).
    SupportLobs: true,
    FullLobMode: false,
    LimitedSizeLobMode: true,
    LobMaxSize: 64,
  },
  FullLoadSettings: {
    // The target is a stream, not tables: nothing to drop or truncate before loading.
    TargetTablePrepMode: 'DO_NOTHING',
    MaxFullLoadSubTasks: 8,
  },
  // Updates carry the old primary key under `before-image` (PostgreSQL logs the key columns of
  // the old row only, hence pk-only): the replay needs it when a key changes, to retire the row
  // under its old key. Full-load-and-cdc or cdc tasks only.
  BeforeImageSettings: {
    EnableBeforeImage: true,
    FieldName: 'before-image',
    ColumnFilter: 'pk-only',
  },
  // CloudWatch Logs (log group dms-tasks-<replication instance>); needs the account's
  // dms-cloudwatch-logs-role (see serverless.yml).
  Logging: {
    EnableLogging: true,
    LogComponents: [
      { Id: 'SOURCE_UNLOAD', Severity: 'LOGGER_SEVERITY_DEFAULT' },
      { Id: 'SOURCE_CAPTURE', Severity: 'LOGGER_SEVERITY_DEFAULT' },
      { Id: 'TARGET_LOAD', Severity: 'LOGGER_SEVERITY_DEFAULT' },
      { Id: 'TARGET_APPLY', Severity: 'LOGGER_SEVERITY_DEFAULT' },
      { Id: 'TASK_MANAGER', Severity: 'LOGGER_SEVERITY_DEFAULT' },
    ],
  },
  // Table drops, truncates and alters reach the stream as control records (the target endpoint's
  // IncludeTableAlterOperations/IncludeControlDetails); the replay decides what they mean.
  ChangeProcessingDdlHandlingPolicy: {
    HandleSourceTableDropped: true,
    HandleSourceTableTruncated: true,
    HandleSourceTableAltered: true,
  },
  // A skipped or truncated row would be a silent divergence of the replica: stop the task and let
  // an operator look (its log says why). A mapping that finds none of the tables means a wrong
  // database or schema: fail instead of streaming nothing.
  ErrorBehavior: {
    DataErrorPolicy: 'STOP_TASK',
    DataTruncationErrorPolicy: 'STOP_TASK',
    FailOnNoTablesCaptured: true,
  },
};

/** Everything serverless.yml needs about one CDC source described in schemas/cdc/<name>.json. */
function cdcSource(name) {
  const source = readSource(name);
  const tableNames = Object.keys(source.tables);
  const keys = Object.fromEntries(tableNames.map((table) => [table, targetKeys(source.schema, table, source.tables[table])]));
  return {
    schema: source.schema,
    tableNames,
    keys,
    dms: {
      tableMappings: JSON.stringify(tableMappings(source.schema, tableNames)),
      taskSettings: JSON.stringify(TASK_SETTINGS),
    },
  };
}

module.exports = { attributeType, dmsLiteral, cdcSource, shop: cdcSource('shop') };

/**
 * Glue/Athena columns of a dataset, derived from its JSON Schema at `serverless package` time
 * (`${file(./lib/schemas/glue-columns.cjs):clickstream}`), so the Glue table never drifts from
 * schemas/. CommonJS because the framework's variable resolver loads it with `require`.
 * Partition keys (from `x-shardline.partitionKeys`) are Glue partition columns; a field that is
 * itself a partition key (event_type) is left out of the data columns, since Glue and Athena
 * refuse a name that is both (its value is in the S3 path).
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

/** JSON Schema type (and format) → Hive/Glue type, as our Parquet writer stores them. */
function glueType(property) {
  const types = Array.isArray(property.type) ? property.type : [property.type];
  const [type] = types.filter((t) => t !== 'null');
  if (type === 'string') return property.format === 'date-time' ? 'timestamp' : 'string';
  if (type === 'integer') return 'bigint';
  if (type === 'number') return 'double';
  if (type === 'boolean') return 'boolean';
  throw new Error(`no Glue type for ${JSON.stringify(property.type)}`);
}

function glueTable(name) {
  const schema = JSON.parse(readFileSync(join(__dirname, '..', '..', 'schemas', `${name}.json`), 'utf8'));
  const partitionKeys = Object.keys((schema['x-shardline'] || {}).partitionKeys || {});
  return {
    columns: Object.entries(schema.properties).filter(([column]) => !partitionKeys.includes(column)).map(([column, property]) => ({
      Name: column,
      Type: glueType(property),
      ...(property.description ? { Comment: property.description.slice(0, 255) } : {}),
    })),
    partitionKeys: partitionKeys.map((key) => ({ Name: key, Type: 'string' })),
    eventTypes: (schema.properties.event_type && schema.properties.event_type.enum || []).join(','),
  };
}

module.exports = { glueTable, clickstream: glueTable('clickstream') };

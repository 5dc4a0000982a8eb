import type { JsonSchemaDocument } from '../../../lib/schemas/dataset-schema';
import { describeSchema } from '../../../lib/schemas/dataset-schema';
import { indexTemplateOf, KEYWORD_IGNORE_ABOVE, OPENSEARCH_DATE_FORMAT, openSearchMappingOf } from '../../../lib/schemas/opensearch-mapping';
import { getSchema } from '../../../lib/schemas/registry';

describe('openSearchMappingOf', () => {
  test('maps every telemetry property, in schema order, to its field type, strictly', () => {
    const schema = getSchema('telemetry');
    const mapping = openSearchMappingOf(schema);
    expect(mapping.dynamic).toBe('strict');
    expect(Object.keys(mapping.properties)).toEqual(Object.keys(schema.document.properties));
    expect(mapping.properties).toEqual({
      device_id: { type: 'keyword' },
      timestamp: { type: 'date', format: 'strict_date_optional_time||epoch_millis' },
      seq: { type: 'long' },
      temperature_c: { type: 'double' },
      humidity_pct: { type: 'double' },
      pressure_hpa: { type: 'double' },
      battery_pct: { type: 'double' },
      rssi_dbm: { type: 'long' },
      status: { type: 'keyword' },
      firmware: { type: 'keyword' },
    });
  });

  test('indexes identifiers whole and caps unbounded strings below the Lucene term limit', () => {
    const mapping = openSearchMappingOf(getSchema('clickstream'));
    expect(mapping.properties.event_id).toEqual({ type: 'keyword' }); // format uuid
    expect(mapping.properties.event_type).toEqual({ type: 'keyword' }); // enum
    expect(mapping.properties.country).toEqual({ type: 'keyword' }); // pattern
    expect(mapping.properties.page_url).toEqual({ type: 'keyword' }); // maxLength 2048
    expect(mapping.properties.referrer).toEqual({ type: 'keyword' }); // nullable, maxLength 2048
    expect(mapping.properties.revenue).toEqual({ type: 'double' });
    const free = describeSchema('free', { type: 'object', properties: { note: { type: 'string' }, long: { type: 'string', maxLength: 100_000 } } });
    expect(openSearchMappingOf(free).properties).toEqual({
      note: { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE },
      long: { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE },
    });
    expect(KEYWORD_IGNORE_ABOVE * 4).toBeLessThanOrEqual(32_766);
  });

  test('follows a schema it has never seen: booleans, nullable timestamps and integers', () => {
    const document: JsonSchemaDocument = {
      type: 'object',
      properties: { flag: { type: 'boolean' }, seen: { type: ['string', 'null'], format: 'date-time' }, n: { type: ['integer', 'null'] } },
    };
    expect(openSearchMappingOf(describeSchema('other', document))).toEqual({
      dynamic: 'strict',
      properties: { flag: { type: 'boolean' }, seen: { type: 'date', format: OPENSEARCH_DATE_FORMAT }, n: { type: 'long' } },
    });
  });
});

describe('indexTemplateOf', () => {
  test('builds a composable template body with the mapping, the settings given, and where it came from', () => {
    const schema = getSchema('telemetry');
    const body = indexTemplateOf(schema, { indexPatterns: ['telemetry-*'], priority: 150, shards: 1, replicas: 2, refreshInterval: '5s' });
    expect(body).toEqual({
      index_patterns: ['telemetry-*'],
      priority: 150,
      template: {
        settings: { index: { number_of_shards: 1, number_of_replicas: 2, refresh_interval: '5s' } },
        mappings: openSearchMappingOf(schema),
      },
      _meta: { dataset: 'telemetry', schema: 'https://shardline.dev/schemas/telemetry.json' },
    });
    // What is sent is plain JSON.
    expect(JSON.parse(JSON.stringify(body))).toEqual(body);
  });

  test('leaves out settings and priority that are not given (the domain defaults apply)', () => {
    const body = indexTemplateOf(getSchema('telemetry'), { indexPatterns: ['a-*', 'b-*'] });
    expect(body).not.toHaveProperty('priority');
    expect(body.template).not.toHaveProperty('settings');
    expect(body.index_patterns).toEqual(['a-*', 'b-*']);
    expect(indexTemplateOf(getSchema('telemetry'), { indexPatterns: ['x-*'], replicas: 0 }).template.settings).toEqual({ index: { number_of_replicas: 0 } });
  });

  test('refuses a template that would match no index', () => {
    expect(() => indexTemplateOf(getSchema('telemetry'), { indexPatterns: [] })).toThrow(RangeError);
  });
});

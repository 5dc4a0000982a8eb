import { describeSchema } from '../../../../lib/schemas/dataset-schema';
import type { JsonSchemaDocument } from '../../../../lib/schemas/dataset-schema';
import { deriveParquetSchema } from '../../../../lib/schemas/parquet-schema';
import { getSchema } from '../../../../lib/schemas/registry';

describe('deriveParquetSchema', () => {
  it('maps every clickstream property, in schema order, to its Parquet type and repetition', () => {
    const schema = getSchema('clickstream');
    const parquet = deriveParquetSchema(schema);
    expect(parquet.compression).toBe('SNAPPY');
    expect(parquet.columns.map((c) => c.name)).toEqual(Object.keys(schema.document.properties));
    const byName = new Map(parquet.columns.map((c) => [c.name, c]));
    expect(byName.get('event_id')).toEqual({ name: 'event_id', kind: 'string', physicalType: 'BYTE_ARRAY', logicalType: { type: 'STRING' }, repetition: 'REQUIRED' });
    expect(byName.get('referrer')?.repetition).toBe('OPTIONAL');
    expect(byName.get('duration_ms')).toEqual({ name: 'duration_ms', kind: 'integer', physicalType: 'INT64', repetition: 'REQUIRED' });
    expect(byName.get('revenue')).toEqual({ name: 'revenue', kind: 'number', physicalType: 'DOUBLE', repetition: 'OPTIONAL' });
    expect(byName.get('timestamp')).toEqual({
      name: 'timestamp', kind: 'timestamp', physicalType: 'INT64',
      logicalType: { type: 'TIMESTAMP', unit: 'MICROS', isAdjustedToUTC: true }, repetition: 'REQUIRED',
    });
  });

  it('follows a schema it has never seen (booleans, nullable timestamps)', () => {
    const document: JsonSchemaDocument = {
      type: 'object',
      properties: { flag: { type: 'boolean' }, seen: { type: ['string', 'null'], format: 'date-time' }, n: { type: ['integer', 'null'] } },
    };
    const parquet = deriveParquetSchema(describeSchema('other', document));
    expect(parquet.dataset).toBe('other');
    expect(parquet.columns.map((c) => [c.name, c.physicalType, c.repetition, c.logicalType?.type])).toEqual([
      ['flag', 'BOOLEAN', 'REQUIRED', undefined],
      ['seen', 'INT64', 'OPTIONAL', 'TIMESTAMP'],
      ['n', 'INT64', 'OPTIONAL', undefined],
    ]);
  });
});

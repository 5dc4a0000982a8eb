/** Mapping definitions: parsing, merging (PUT _mapping vs templates), and GET _mapping's shape. */
import { leafAt, mergeRootMappings, parseRootMapping, rootMappingToJson } from '../../../../lib/local/opensearch/mapping';
import { openSearchFailure } from '../../../support/opensearch';

const failure = openSearchFailure;

test('a definition is written back as given, properties sorted, dynamic as a string', () => {
  const root = parseRootMapping({
    dynamic: false,
    properties: {
      ts: { type: 'date', format: 'strict_date_optional_time||epoch_millis' },
      device: { type: 'keyword', ignore_above: 8191 },
      'geo.city': { type: 'keyword' },
      name: { type: 'text', fields: { raw: { type: 'keyword' } } },
    },
  });
  expect(rootMappingToJson(root)).toEqual({
    dynamic: 'false',
    properties: {
      device: { type: 'keyword', ignore_above: 8191 },
      geo: { properties: { city: { type: 'keyword' } } },
      name: { type: 'text', fields: { raw: { type: 'keyword' } } },
      ts: { type: 'date', format: 'strict_date_optional_time||epoch_millis' },
    },
  });
  expect(leafAt(root, 'name.raw')?.type).toBe('keyword');
  expect(leafAt(root, 'geo.city')?.type).toBe('keyword');
});

test('unknown types, unknown parameters and unsupported features are refused', () => {
  expect(failure(() => parseRootMapping({ properties: { x: { type: 'strng' } } })).reason).toBe('No handler for type [strng] declared on field [x]');
  expect(failure(() => parseRootMapping({ properties: { x: { type: 'keyword', analyzer: 'standard' } } })).reason).toBe('unknown parameter [analyzer] on mapper [x] of type [keyword]');
  expect(failure(() => parseRootMapping({ properties: { x: { type: 'nested' } } })).reason).toContain('does not support fields of type [nested]');
  expect(failure(() => parseRootMapping({ properties: { x: { format: 'yyyy' } } })).reason).toBe('No type specified for field [x]');
  expect(failure(() => parseRootMapping({ propertiez: {} })).reason).toContain('Root mapping definition has unsupported parameters');
  expect(failure(() => parseRootMapping({ properties: { x: { type: 'date', format: 'weekyear_week' } } })).reason).toContain('does not support the date format [weekyear_week]');
});

test('PUT _mapping adds fields and refuses type changes and fixed parameter changes', () => {
  const current = parseRootMapping({ properties: { temp: { type: 'double' }, at: { type: 'date', format: 'epoch_millis' }, name: { type: 'keyword', ignore_above: 10 } } });
  const added = mergeRootMappings(current, parseRootMapping({ properties: { hum: { type: 'float' }, name: { type: 'keyword', ignore_above: 20 } } }), 'update');
  expect(rootMappingToJson(added)).toMatchObject({ properties: { hum: { type: 'float' }, name: { type: 'keyword', ignore_above: 20 }, temp: { type: 'double' } } });

  const typeChange = failure(() => mergeRootMappings(current, parseRootMapping({ properties: { temp: { type: 'keyword' } } }), 'update'));
  expect(typeChange).toMatchObject({ status: 400, type: 'illegal_argument_exception', reason: 'mapper [temp] cannot be changed from type [double] to [keyword]' });
  const formatChange = failure(() => mergeRootMappings(current, parseRootMapping({ properties: { at: { type: 'date', format: 'strict_date' } } }), 'update'));
  expect(formatChange.reason).toBe('Mapper for [at] conflicts with existing mapper:\n\tCannot update parameter [format] from [epoch_millis] to [strict_date]');
  // The current mapping is untouched by a failed or successful merge.
  expect(rootMappingToJson(current)).toMatchObject({ properties: { name: { ignore_above: 10 } } });
});

test('composing a template with a create request lets the later definition win', () => {
  const template = parseRootMapping({ dynamic: 'strict', properties: { a: { type: 'long' }, b: { type: 'keyword' } } });
  const request = parseRootMapping({ properties: { a: { type: 'keyword' }, c: { type: 'boolean' } } });
  expect(rootMappingToJson(mergeRootMappings(template, request, 'template'))).toEqual({
    dynamic: 'strict',
    properties: { a: { type: 'keyword' }, b: { type: 'keyword' }, c: { type: 'boolean' } },
  });
});

/** Documents parsed against mappings: dynamic mapping, strict/false, type errors, multi-fields. */
import { parseDocument } from '../../../../lib/local/opensearch/document-parser';
import type { JsonObject } from '../../../../lib/local/opensearch/json';
import { emptyRootMapping, parseRootMapping, rootMappingToJson } from '../../../../lib/local/opensearch/mapping';
import { openSearchFailure } from '../../../support/opensearch';

const failure = openSearchFailure;

describe('dynamic mapping (dynamic: true, the default)', () => {
  test('maps strings to text + keyword, integers to long, decimals to float, booleans, objects, dates', () => {
    const parsed = parseDocument(emptyRootMapping(), { device: 'd-1', count: 3, temp: 21.5, ok: true, at: '2024-01-15T10:00:00Z', geo: { city: 'Lyon' } }, '1');
    expect(rootMappingToJson(parsed.updatedMapping!)).toEqual({
      properties: {
        at: { type: 'date' },
        count: { type: 'long' },
        device: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
        geo: { properties: { city: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } } } },
        ok: { type: 'boolean' },
        temp: { type: 'float' },
      },
    });
    expect(parsed.fields.get('device')?.values).toEqual(['d', '1']);
    expect(parsed.fields.get('device.keyword')?.values).toEqual(['d-1']);
    expect(parsed.fields.get('geo.city.keyword')?.values).toEqual(['Lyon']);
  });

  test('date detection only considers strings with more than one -, : or /', () => {
    const parsed = parseDocument(emptyRootMapping(), { a: '2024-01', b: '2024/01/15', c: '12:30' }, '1');
    const mapping = rootMappingToJson(parsed.updatedMapping!).properties as JsonObject;
    expect(mapping.a).toMatchObject({ type: 'text' });
    expect(mapping.b).toEqual({ type: 'date', format: 'yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis' });
    expect(mapping.c).toMatchObject({ type: 'text' });
  });

  test('nulls add no mapping; dotted names are objects; arrays take their elements type', () => {
    const parsed = parseDocument(emptyRootMapping(), { missing: null, 'a.b': 1, tags: ['x', 'y'] }, '1');
    expect(rootMappingToJson(parsed.updatedMapping!)).toEqual({
      properties: {
        a: { properties: { b: { type: 'long' } } },
        tags: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
      },
    });
    expect(parsed.fields.get('tags.keyword')?.values).toEqual(['x', 'y']);
  });

  test('a later value of another type in the same document fails against the field just mapped', () => {
    const error = failure(() => parseDocument(emptyRootMapping(), { v: [1, 'abc'] }, 'doc-7'));
    expect(error.type).toBe('mapper_parsing_exception');
    expect(error.reason).toBe("failed to parse field [v] of type [long] in document with id 'doc-7'. Preview of field's value: 'abc'");
  });

  test('dynamic templates apply before the defaults', () => {
    const root = parseRootMapping({ dynamic_templates: [{ strings: { match_mapping_type: 'string', mapping: { type: 'keyword' } } }] });
    const parsed = parseDocument(root, { name: 'Ada' }, '1');
    expect((rootMappingToJson(parsed.updatedMapping!).properties as JsonObject).name).toEqual({ type: 'keyword' });
  });
});

describe('strict and false', () => {
  const strict = parseRootMapping({ dynamic: 'strict', properties: { device: { type: 'keyword' }, reading: { properties: { temp: { type: 'double' } } } } });

  test('strict refuses an unmapped field, naming its parent object', () => {
    expect(failure(() => parseDocument(strict, { device: 'a', extra: 1 }, '1')).toBody()).toEqual({
      error: {
        root_cause: [{ type: 'strict_dynamic_mapping_exception', reason: 'mapping set to strict, dynamic introduction of [extra] within [_doc] is not allowed' }],
        type: 'strict_dynamic_mapping_exception',
        reason: 'mapping set to strict, dynamic introduction of [extra] within [_doc] is not allowed',
      },
      status: 400,
    });
    expect(failure(() => parseDocument(strict, { reading: { hum: 3 } }, '1')).reason).toBe('mapping set to strict, dynamic introduction of [hum] within [reading] is not allowed');
  });

  test('false keeps unmapped fields out of the index and the mapping', () => {
    const root = parseRootMapping({ dynamic: false, properties: { device: { type: 'keyword' } } });
    const parsed = parseDocument(root, { device: 'a', extra: { deep: 1 } }, '1');
    expect(parsed.updatedMapping).toBeUndefined();
    expect([...parsed.fields.keys()]).toEqual(['device']);
  });

  test('an object inherits dynamic from its parent unless it sets its own', () => {
    const root = parseRootMapping({ dynamic: 'strict', properties: { open: { type: 'object', dynamic: true } } });
    const parsed = parseDocument(root, { open: { anything: 'x' } }, '1');
    expect(parsed.updatedMapping).toBeDefined();
  });
});

describe('type errors', () => {
  const root = parseRootMapping({ properties: { temperature_c: { type: 'double' }, at: { type: 'date' }, tags: { type: 'keyword', ignore_above: 5 }, geo: { properties: { city: { type: 'keyword' } } } } });

  test('a value the field cannot take fails with a preview and a caused_by; root cause is the mapper exception', () => {
    const error = failure(() => parseDocument(root, { temperature_c: 'warm' }, 'r-1'));
    expect(error.toBody()).toEqual({
      error: {
        root_cause: [{ type: 'mapper_parsing_exception', reason: "failed to parse field [temperature_c] of type [double] in document with id 'r-1'. Preview of field's value: 'warm'" }],
        type: 'mapper_parsing_exception',
        reason: "failed to parse field [temperature_c] of type [double] in document with id 'r-1'. Preview of field's value: 'warm'",
        caused_by: { type: 'number_format_exception', reason: 'For input string: "warm"' },
      },
      status: 400,
    });
  });

  test('a concrete value where an object is mapped', () => {
    expect(failure(() => parseDocument(root, { geo: 'Lyon' }, '1')).reason).toBe('object mapping for [geo] tried to parse field [geo] as object, but found a concrete value');
  });

  test('keywords longer than ignore_above are not indexed but the document is accepted', () => {
    const parsed = parseDocument(root, { tags: ['short', 'much too long'] }, '1');
    expect(parsed.fields.get('tags')?.values).toEqual(['short']);
  });

  test('a keyword over Lucene\'s 32766-byte term limit fails the document', () => {
    const error = failure(() => parseDocument(parseRootMapping({ properties: { k: { type: 'keyword' } } }), { k: 'x'.repeat(40_000) }, '1'));
    expect(error.type).toBe('illegal_argument_exception');
    expect(error.reason).toContain('Document contains at least one immense term in field="k"');
    expect(error.causedBy).toMatchObject({ type: 'max_bytes_length_exceeded_exception', reason: 'bytes can be at most 32766 in length; got 40000' });
  });

  test('metadata fields cannot be inside a document', () => {
    expect(failure(() => parseDocument(root, { _id: 'x' }, '1')).reason).toBe('Field [_id] is a metadata field and cannot be added inside a document. Use the index API request parameters.');
  });

  test('the total fields limit applies to dynamic additions', () => {
    const document = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}`, i]));
    expect(failure(() => parseDocument(emptyRootMapping(), document, '1', { totalFields: 5 })).reason).toBe('Limit of total fields [5] has been exceeded');
  });

  test('null_value stands in for null', () => {
    const parsed = parseDocument(parseRootMapping({ properties: { status: { type: 'keyword', null_value: 'NONE' } } }), { status: null }, '1');
    expect(parsed.fields.get('status')?.values).toEqual(['NONE']);
  });
});

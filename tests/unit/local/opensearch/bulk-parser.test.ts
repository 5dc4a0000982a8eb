/** The _bulk NDJSON parser and validation, against OpenSearch's BulkRequestParser rules. */
import { parseBulkBody, validateBulk } from '../../../../lib/local/opensearch/bulk';
import { openSearchFailure } from '../../../support/opensearch';

const failure = openSearchFailure;

const lines = (...items: unknown[]): string => items.map((i) => (typeof i === 'string' ? i : JSON.stringify(i))).join('\n') + '\n';

test('parses index, create, update and delete with their metadata', () => {
  const ops = parseBulkBody(lines(
    { index: { _index: 'a', _id: '1', if_seq_no: 3, if_primary_term: 1 } }, { x: 1 },
    { create: { _index: 'a', _id: '2' } }, { x: 2 },
    { update: { _index: 'a', _id: '1', retry_on_conflict: 3 } }, { doc: { x: 3 }, doc_as_upsert: true },
    { delete: { _index: 'a', _id: '2', version: 7, version_type: 'external_gte' } },
    { index: { _id: '5' } }, { x: 5 },
  ), 'default');
  expect(ops.map((o) => [o.action, o.index, o.id])).toEqual([['index', 'a', '1'], ['create', 'a', '2'], ['update', 'a', '1'], ['delete', 'a', '2'], ['index', 'default', '5']]);
  expect(ops[0]).toMatchObject({ ifSeqNo: 3, ifPrimaryTerm: 1, sourceText: '{"x":1}' });
  expect(ops[2]).toMatchObject({ retryOnConflict: 3, update: { doc: { x: 3 }, docAsUpsert: true, detectNoop: true } });
  expect(ops[3]).toMatchObject({ version: 7, versionType: 'external_gte' });
});

test('the body must end with a newline', () => {
  const error = failure(() => parseBulkBody('{"index":{"_index":"a"}}\n{"x":1}'));
  expect(error.toBody()).toEqual({
    error: {
      root_cause: [{ type: 'illegal_argument_exception', reason: 'The bulk request must be terminated by a newline [\\n]' }],
      type: 'illegal_argument_exception',
      reason: 'The bulk request must be terminated by a newline [\\n]',
    },
    status: 400,
  });
});

test('blank action lines are skipped, CRLF is accepted, a trailing action without its document is dropped', () => {
  const ops = parseBulkBody('\n{"index":{"_index":"a"}}\r\n{"x":1}\r\n\n{"index":{"_index":"a"}}\n');
  expect(ops).toHaveLength(1);
  expect(ops[0]!.sourceText).toBe('{"x":1}');
});

test('malformed action lines fail the whole request with OpenSearch\'s messages', () => {
  expect(failure(() => parseBulkBody(lines('"index"'))).reason).toBe('Malformed action/metadata line [1], expected START_OBJECT but found [VALUE_STRING]');
  expect(failure(() => parseBulkBody(lines({}))).reason).toBe('Malformed action/metadata line [1], expected FIELD_NAME but found [END_OBJECT]');
  expect(failure(() => parseBulkBody(lines({ upsert: {} }, {}))).reason).toBe('Malformed action/metadata line [1], expected one of [create, delete, index, update] but found [upsert]');
  expect(failure(() => parseBulkBody(lines({ index: { _index: 'a', _type: '_doc' } }, {}))).reason).toBe('Action/metadata line [1] contains an unknown parameter [_type]');
  expect(failure(() => parseBulkBody(lines({ delete: { _id: ['a'] } }))).reason).toBe('Malformed action/metadata line [1], expected a simple value for field [_id] but found [START_ARRAY]');
  expect(failure(() => parseBulkBody(lines({ index: {} }, { x: 1 }, { delete: { _index: 'a', _id: '1', version_type: 'sometimes' } }))).reason).toBe('No version type match [sometimes]');
  expect(failure(() => parseBulkBody(lines({ update: { _index: 'a', _id: '1', version: 2, version_type: 'external' } }, { doc: {} }))).reason)
    .toBe('Update requests do not support versioning. Please use `if_seq_no` and `if_primary_term` instead');
  const broken = failure(() => parseBulkBody('{"index": {\n{}\n'));
  expect(broken.type).toBe('json_parse_exception');
  expect(broken.status).toBe(400);
});

test('a malformed document line is left for its item (parsed when it runs)', () => {
  const ops = parseBulkBody(lines({ index: { _index: 'a', _id: '1' } }, 'not json'));
  expect(ops[0]!.sourceText).toBe('not json');
});

test('validation lists every invalid item, numbered', () => {
  expect(failure(() => validateBulk([])).reason).toBe('Validation Failed: 1: no requests added;');
  const ops = parseBulkBody(lines(
    { index: { _id: '1' } }, {},
    { index: { _index: 'a', _id: '1', version: 3 } }, {},
    { create: { _index: 'a', _id: '1', version: 3, version_type: 'external' } }, {},
    { delete: { _index: 'a' } },
    { index: { _index: 'a', _id: 'x'.repeat(513) } }, {},
  ));
  const error = failure(() => validateBulk(ops));
  expect(error.type).toBe('action_request_validation_exception');
  expect(error.reason).toBe(
    'Validation Failed: 1: index is missing;' +
      '2: internal versioning can not be used for optimistic concurrency control. Please use `if_seq_no` and `if_primary_term` instead;' +
      '3: create operations only support internal versioning. use index instead;' +
      '4: id is missing;' +
      `5: id [${'x'.repeat(513)}] is too long, must be no longer than 512 bytes but was: 513;`,
  );
});

test('an update body with an unknown field fails the request', () => {
  const error = failure(() => parseBulkBody(lines({ update: { _index: 'a', _id: '1' } }, { doc: {}, merge: true })));
  expect(error).toMatchObject({ type: 'x_content_parse_exception', reason: '[1:2] [UpdateRequest] unknown field [merge]' });
});

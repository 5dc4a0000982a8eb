/** One index's write semantics: versions, seq_no, versioning types, concurrency control, NRT. */
import { IndexStore, mergeDocument, type IndexRequest } from '../../../../lib/local/opensearch/index-store';
import type { JsonObject } from '../../../../lib/local/opensearch/json';
import { openSearchFailure } from '../../../support/opensearch';

const failure = openSearchFailure;

const put = (source: JsonObject, extra: Partial<IndexRequest> = {}): IndexRequest => ({ id: '1', source, sourceText: JSON.stringify(source), opType: 'index', ...extra });

test('internal versioning: created then updated, seq_no per operation, deletes leave a tombstone', () => {
  const index = new IndexStore('i', {}, undefined, -1);
  expect(index.index(put({ a: 1 }))).toMatchObject({ version: 1, seqNo: 0, result: 'created', status: 201 });
  expect(index.index(put({ a: 2 }))).toMatchObject({ version: 2, seqNo: 1, result: 'updated', status: 200 });
  expect(index.delete('1', {})).toMatchObject({ version: 3, seqNo: 2, result: 'deleted', status: 200 });
  expect(index.delete('1', {})).toMatchObject({ version: 4, seqNo: 3, result: 'not_found', status: 404 });
  // Re-created within gc_deletes: the version carries on.
  expect(index.index(put({ a: 3 }))).toMatchObject({ version: 5, result: 'created' });
});

test('tombstones are forgotten after index.gc_deletes', () => {
  let now = 0;
  const index = new IndexStore('i', { 'index.gc_deletes': '60s' }, undefined, -1, () => now);
  index.index(put({ a: 1 }));
  index.delete('1', {});
  now = 61_000;
  expect(index.index(put({ a: 1 }))).toMatchObject({ version: 1, result: 'created' });
});

test('create refuses an existing document', () => {
  const index = new IndexStore('i', {}, undefined, -1);
  index.index(put({ a: 1 }));
  const error = failure(() => index.index(put({ a: 2 }, { opType: 'create' })));
  expect(error.toCauseJson()).toEqual({
    type: 'version_conflict_engine_exception',
    reason: '[1]: version conflict, document already exists (current version [1])',
    index: 'i',
    shard: '0',
    index_uuid: index.uuid,
  });
  expect(error.status).toBe(409);
});

test('external and external_gte versioning', () => {
  const index = new IndexStore('i', {}, undefined, -1);
  expect(index.index(put({ a: 1 }, { version: 10, versionType: 'external' }))).toMatchObject({ version: 10, result: 'created' });
  expect(failure(() => index.index(put({ a: 2 }, { version: 10, versionType: 'external' }))).reason).toBe('[1]: version conflict, current version [10] is higher or equal to the one provided [10]');
  expect(index.index(put({ a: 2 }, { version: 10, versionType: 'external_gte' }))).toMatchObject({ version: 10, result: 'updated' });
  expect(failure(() => index.index(put({ a: 3 }, { version: 9, versionType: 'external_gte' }))).reason).toBe('[1]: version conflict, current version [10] is higher than the one provided [9]');
  // Deletes with an external version keep that version on the tombstone.
  expect(index.delete('1', { version: 12, versionType: 'external' })).toMatchObject({ version: 12, result: 'deleted' });
  expect(failure(() => index.index(put({ a: 4 }, { version: 11, versionType: 'external' }))).reason).toContain('current version [12]');
});

test('if_seq_no / if_primary_term', () => {
  const index = new IndexStore('i', {}, undefined, -1);
  const first = index.index(put({ a: 1 }));
  expect(index.index(put({ a: 2 }, { ifSeqNo: first.seqNo, ifPrimaryTerm: 1 }))).toMatchObject({ version: 2, seqNo: 1 });
  expect(failure(() => index.index(put({ a: 3 }, { ifSeqNo: 0, ifPrimaryTerm: 1 }))).reason)
    .toBe('[1]: version conflict, required seqNo [0], primary term [1]. current document has seqNo [1] and primary term [1]');
  expect(failure(() => index.index(put({ a: 3 }, { id: '2', ifSeqNo: 0, ifPrimaryTerm: 1 }))).reason)
    .toBe('[2]: version conflict, required seqNo [0], primary term [1]. but no document was found');
});

test('updates merge objects, detect no-ops, upsert, and report missing documents', () => {
  const index = new IndexStore('i', {}, undefined, -1);
  expect(failure(() => index.update({ id: '1', doc: { a: 1 }, docAsUpsert: false, detectNoop: true })).toCauseJson()).toMatchObject({ type: 'document_missing_exception', reason: '[1]: document missing' });
  expect(index.update({ id: '1', doc: { a: { b: 1 } }, docAsUpsert: true, detectNoop: true })).toMatchObject({ result: 'created', status: 201, version: 1 });
  expect(index.update({ id: '1', doc: { a: { c: 2 } }, docAsUpsert: false, detectNoop: true })).toMatchObject({ result: 'updated', version: 2 });
  expect(index.get('1')?.source).toEqual({ a: { b: 1, c: 2 } });
  expect(index.update({ id: '1', doc: { a: { c: 2 } }, docAsUpsert: false, detectNoop: true })).toMatchObject({ result: 'noop', version: 2, seqNo: 1 });
  expect(index.update({ id: '2', doc: { x: 1 }, upsert: { x: 0 }, docAsUpsert: false, detectNoop: true })).toMatchObject({ result: 'created' });
  expect(index.get('2')?.source).toEqual({ x: 0 });
  expect(mergeDocument({ a: [1, 2], b: { c: 1 } }, { a: [3], b: { d: null } })).toEqual({ a: [3], b: { c: 1, d: null } });
});

test('near real time: realtime GET sees writes, search only after refresh; wait_for resolves at the refresh', async () => {
  const index = new IndexStore('i', {}, undefined, -1);
  index.index(put({ a: 1 }));
  expect(index.get('1')).toBeDefined();
  expect(index.searchableCount).toBe(0);
  const waiting = index.waitForRefresh();
  let resolved = false;
  void waiting.then(() => (resolved = true));
  await Promise.resolve();
  expect(resolved).toBe(false);
  index.refresh();
  await waiting;
  expect(index.searchableCount).toBe(1);
  index.delete('1', {});
  expect(index.searchableCount).toBe(1);
  index.refresh();
  expect(index.searchableCount).toBe(0);
  index.close();
});

test('a dynamic mapping update is kept even when the write then conflicts', () => {
  const index = new IndexStore('i', {}, undefined, -1);
  index.index(put({ a: 1 }));
  failure(() => index.index(put({ a: 1, b: 'x' }, { opType: 'create' })));
  expect([...index.mapping.properties.keys()]).toEqual(['a', 'b']);
});

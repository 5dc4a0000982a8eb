import fc from 'fast-check';
import type { ChangeEvent, RowChange } from '../../../../lib/cdc/change-event';
import { ChangeFormatError } from '../../../../lib/cdc/change-event';
import { encodeDmsKinesisMessage, parseDmsKinesisMessage } from '../../../../lib/cdc/formats/dms-kinesis';
import { SNAPSHOT_POSITION } from '../../../../lib/cdc/formats/positions';
import type { SourceTable } from '../../../../lib/cdc/source-tables';
import { sourceTable } from '../../../../lib/cdc/source-tables';
import { canonicalTimestamp, keyImage, lsnPosition, rowOf, tableArb } from './arbitraries';
import { thrownBy } from '../../../support/errors';

/** Messages shaped as DMS writes them for a PostgreSQL source (values as JSON numbers, tab-indented). */
const insertMessage = `{
	"data": {
		"customer_id": 42,
		"email": "ana@example.com",
		"full_name": "Ana Łukasik",
		"country": "PL",
		"balance": 1250.5,
		"vip": false,
		"signed_up_at": "2026-11-25T21:59:58.123456Z"
	},
	"metadata": {
		"timestamp": "2026-11-25T22:00:00.512345Z",
		"record-type": "data",
		"operation": "insert",
		"partition-key-type": "primary-key",
		"partition-key-value": "shop.customers.42",
		"schema-name": "shop",
		"table-name": "customers",
		"transaction-id": 1139,
		"transaction-record-id": 1,
		"commit-timestamp": "2026-11-25T22:00:00.498311Z",
		"stream-position": "00000002/7C007178.3.00000002/7C007178"
	}
}`;

const parseObject = (message: object, options = {}): ChangeEvent => parseDmsKinesisMessage(Buffer.from(JSON.stringify(message)), options);

const errorOf = (run: () => unknown): ChangeFormatError => thrownBy(ChangeFormatError, run);

describe('parseDmsKinesisMessage: messages as DMS writes them', () => {
  test('an insert with transaction details becomes a canonical row change at its commit time', () => {
    expect(parseDmsKinesisMessage(Buffer.from(insertMessage))).toEqual({
      kind: 'row',
      operation: 'insert',
      schema: 'shop',
      table: 'customers',
      after: {
        customer_id: '42',
        email: 'ana@example.com',
        full_name: 'Ana Łukasik',
        country: 'PL',
        balance: '1250.50',
        vip: false,
        signed_up_at: '2026-11-25T21:59:58.123456Z',
      },
      before: undefined,
      keyColumns: ['customer_id'],
      position: { commit: '2026-11-25T22:00:00.498311Z', sequence: 0 },
      transactionId: '1139',
      commitTimestamp: '2026-11-25T22:00:00.498311Z',
    });
  });

  test('JSON and JSON_UNFORMATTED parse alike, as bytes, text or object', () => {
    const unformatted = `${JSON.stringify(JSON.parse(insertMessage))}\n`;
    expect(unformatted.split('\n')).toHaveLength(2);
    const expected = parseDmsKinesisMessage(insertMessage);
    expect(parseDmsKinesisMessage(Buffer.from(unformatted))).toEqual(expected);
    expect(parseDmsKinesisMessage(new Uint8Array(Buffer.from(unformatted)))).toEqual(expected);
    expect(parseDmsKinesisMessage(JSON.parse(insertMessage) as object)).toEqual(expected);
  });

  test('numbers past 2^53 and decimal scales survive the JSON (no double in between)', () => {
    const text = insertMessage.replace('"customer_id": 42', '"customer_id": 9223372036854775807').replace('1250.5', '1250.50');
    const change = parseDmsKinesisMessage(text) as RowChange;
    expect(change.after).toMatchObject({ customer_id: '9223372036854775807', balance: '1250.50' });
  });

  test('an update with the before-image attribute (BeforeImageSettings), key changed', () => {
    const change = parseObject({
      data: { order_id: '0d5f1c3e-8c7a-4a56-9a53-2b0c8f1e7a10', line_no: 2, sku: 'SKU-9', quantity: 3, unit_price: '19.9900', note: null },
      metadata: {
        timestamp: '2026-11-25T22:01:00.000100Z',
        'record-type': 'data',
        operation: 'update',
        'partition-key-type': 'schema-table',
        'schema-name': 'shop',
        'table-name': 'order_lines',
        'transaction-id': 1140,
        'transaction-record-id': 2,
        'prev-transaction-id': 1139,
        'prev-transaction-record-id': 1,
        'commit-timestamp': '2026-11-25T22:01:00.000001Z',
      },
      'before-image': { order_id: '0d5f1c3e-8c7a-4a56-9a53-2b0c8f1e7a10', line_no: 1 },
    }) as RowChange;
    expect(change.operation).toBe('update');
    expect(change.before).toEqual({ order_id: '0d5f1c3e-8c7a-4a56-9a53-2b0c8f1e7a10', line_no: 1 });
    expect(change.after).toMatchObject({ line_no: 2, unit_price: '19.9900', note: null });
    expect(change.keyColumns).toEqual(['order_id', 'line_no']);
    expect(change.position).toEqual({ commit: '2026-11-25T22:01:00.000001Z', sequence: 1 });
  });

  test('an update whose key did not change carries an empty before image: no before', () => {
    const message = JSON.parse(insertMessage) as { metadata: Record<string, unknown> } & Record<string, unknown>;
    message.metadata.operation = 'update';
    message['before-image'] = {};
    expect((parseObject(message) as RowChange).before).toBeUndefined();
  });

  test('an update with BI_ columns (add-before-image-columns) in data', () => {
    const message = JSON.parse(insertMessage) as { data: Record<string, unknown>; metadata: Record<string, unknown> };
    message.metadata.operation = 'update';
    message.data.customer_id = 43;
    message.data.BI_customer_id = 42;
    const change = parseObject(message) as RowChange;
    expect(change.before).toEqual({ customer_id: '42' });
    expect(change.after).not.toHaveProperty('BI_customer_id');
    expect(change.after).toMatchObject({ customer_id: '43' });
    // A custom prefix/suffix, and BI_ columns of inserts are dropped.
    message.metadata.operation = 'insert';
    delete message.data.BI_customer_id;
    message.data['old:customer_id'] = null;
    const insert = parseObject(message, { beforeImageColumns: { prefix: 'old:', suffix: '' } }) as RowChange;
    expect(insert.before).toBeUndefined();
    expect(insert.after).not.toHaveProperty('old:customer_id');
  });

  test('a delete carries the row before it: the key and, from PostgreSQL, NULLs elsewhere', () => {
    const change = parseObject({
      data: { customer_id: 45, email: null, full_name: null, country: null, balance: null, vip: null, signed_up_at: null, notes: null },
      metadata: {
        timestamp: '2024-07-29T01:09:25.375525Z',
        'record-type': 'data',
        operation: 'delete',
        'partition-key-type': 'schema-table',
        'schema-name': 'shop',
        'table-name': 'customers',
        'transaction-id': 1144,
        'transaction-record-id': 1,
        'commit-timestamp': '2024-07-29T01:09:25.366257Z',
        'stream-position': '00000002/840001D8.2.00000002/840001D8',
      },
    }) as RowChange;
    expect(change).toMatchObject({ operation: 'delete', after: undefined, position: { commit: '2024-07-29T01:09:25.366257Z', sequence: 0 } });
    expect(change.before).toMatchObject({ customer_id: '45', email: null });
  });

  test('a full-load row sits at the snapshot position', () => {
    const change = parseObject({
      data: { order_id: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', customer_id: 42, status: 'placed', total: 99.9, placed_at: '2026-11-25 21:00:00', shipped_at: null },
      metadata: { timestamp: '2026-11-25T22:00:00.100000Z', 'record-type': 'data', operation: 'load', 'partition-key-type': 'primary-key', 'partition-key-value': 'shop.orders.a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'schema-name': 'shop', 'table-name': 'orders' },
    }) as RowChange;
    expect(change.position).toEqual(SNAPSHOT_POSITION);
    expect(change.after).toEqual({ order_id: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', customer_id: '42', status: 'placed', total: '99.90', placed_at: '2026-11-25T21:00:00.000000Z', shipped_at: null });
    expect(change.transactionId).toBeUndefined();
  });

  test('control records: create-table with table-def, drop-table, DMS’s own tables', () => {
    const create = parseObject({
      control: { 'table-def': { columns: { customer_id: { type: 'INT64', nullable: false } }, 'primary-key': ['customer_id'] } },
      metadata: { timestamp: '2024-07-29T00:30:47.266581Z', 'record-type': 'control', operation: 'create-table', 'partition-key-type': 'task-id', 'partition-key-value': 'serv-res-id-1722195358878-yhru', 'schema-name': 'shop', 'table-name': 'customers' },
    });
    expect(create).toEqual({ kind: 'control', operation: 'create-table', schema: 'shop', table: 'customers', position: { commit: '2024-07-29T00:30:47.266581Z', sequence: 0 }, transactionId: undefined, commitTimestamp: undefined });
    const drop = parseObject({ control: {}, metadata: { timestamp: '2024-07-29T00:30:47.258815Z', 'record-type': 'control', operation: 'drop-table', 'partition-key-type': 'task-id', 'schema-name': 'shop', 'table-name': 'orders' } });
    expect(drop).toMatchObject({ kind: 'control', operation: 'drop-table', table: 'orders' });
    const exceptions = parseObject({ metadata: { timestamp: '2021-02-18T23:09:09.509179Z', 'record-type': 'control', operation: 'create-table', 'partition-key-type': 'task-id', 'schema-name': '', 'table-name': 'awsdms_apply_exceptions' } });
    expect(exceptions).toMatchObject({ kind: 'control', schema: '', table: 'awsdms_apply_exceptions' });
    expect(parseObject({ metadata: { timestamp: '2024-07-29T00:30:47Z', 'record-type': 'control', operation: 'truncate-table', 'schema-name': 'shop', 'table-name': 'orders' } })).toMatchObject({ operation: 'truncate' });
  });

  test('tables outside the contract keep their JSON values', () => {
    const change = parseObject({
      data: { id: 7, name: 'x', price: '12.50', ok: true, gone: null },
      metadata: { 'record-type': 'data', operation: 'insert', 'schema-name': 'public', 'table-name': 'other', 'commit-timestamp': '2026-01-01T00:00:00Z', 'transaction-record-id': 1 },
    }) as RowChange;
    expect(change.after).toEqual({ id: 7, name: 'x', price: '12.50', ok: true, gone: null });
    expect(change.keyColumns).toBeUndefined();
    expect((parseDmsKinesisMessage('{"data":{"big":12345678901234567890,"p":1.50},"metadata":{"record-type":"data","operation":"load","schema-name":"public","table-name":"other"}}') as RowChange).after).toEqual({ big: '12345678901234567890', p: '1.50' });
  });

  test('without transaction details an insert has no position unless the caller gives one', () => {
    const message = JSON.parse(insertMessage) as { metadata: Record<string, unknown> };
    delete message.metadata['commit-timestamp'];
    expect(errorOf(() => parseObject(message)).field).toBe('metadata.commit-timestamp');
    expect(parseObject(message, { fallbackPosition: { commit: '2026-01-01T00:00:00.000000Z', sequence: 5 } }).position).toEqual({ commit: '2026-01-01T00:00:00.000000Z', sequence: 5 });
  });
});

describe('parseDmsKinesisMessage: malformed messages name the field', () => {
  const base = (): { data: Record<string, unknown>; metadata: Record<string, unknown> } & Record<string, unknown> =>
    JSON.parse(insertMessage) as { data: Record<string, unknown>; metadata: Record<string, unknown> };
  const cases: [string, (m: ReturnType<typeof base>) => unknown, string | undefined, RegExp][] = [
    ['an unknown operation', (m) => (m.metadata.operation = 'upsert'), 'metadata.operation', /^expected one of load\|insert\|update\|delete, got "upsert"$/],
    ['no operation', (m) => delete m.metadata.operation, 'metadata.operation', /got nothing/],
    ['an unknown record type', (m) => (m.metadata['record-type'] = 'row'), 'metadata.record-type', /expected one of data\|control, got "row"/],
    ['an unknown control operation', (m) => Object.assign(m.metadata, { 'record-type': 'control', operation: 'explode' }), 'metadata.operation', /for a control record, got "explode"/],
    ['an unknown partition key type', (m) => (m.metadata['partition-key-type'] = 'random'), 'metadata.partition-key-type', /got "random"/],
    ['no schema name', (m) => delete m.metadata['schema-name'], 'metadata.schema-name', /expected a string, got nothing/],
    ['an empty table name', (m) => (m.metadata['table-name'] = ''), 'metadata.table-name', /non-empty/],
    ['data that is not an object', (m) => (m.data = [1] as unknown as Record<string, unknown>), 'data', /expected an object, got an array/],
    ['no metadata', (m) => delete (m as Record<string, unknown>).metadata, 'metadata', /expected an object, got nothing/],
    ['a before image that is not an object', (m) => (m['before-image'] = 'x'), 'before-image', /expected an object/],
    ['a bigint that is not an integer', (m) => (m.data.customer_id = 'abc'), 'data.customer_id', /expected an integer \(bigint\)/],
    ['a numeric with too many fraction digits', (m) => (m.data.balance = '12.345'), 'data.balance', /more than 2 fraction digits/],
    ['a boolean that is not one', (m) => (m.data.vip = 'maybe'), 'data.vip', /expected a boolean/],
    ['a timestamp that is not one', (m) => (m.data.signed_up_at = 'yesterday'), 'data.signed_up_at', /expected a timestamp/],
    ['a NULL in a NOT NULL column', (m) => (m.data.email = null), 'data.email', /null in NOT NULL column email/],
    ['a column the table does not have', (m) => (m.data.favourite_colour = 'teal'), 'data.favourite_colour', /not a column of shop.customers/],
    ['a char(2) too long', (m) => (m.data.country = 'DEU'), 'data.country', /longer than char\(2\)/],
    ['transaction-record-id 0', (m) => (m.metadata['transaction-record-id'] = 0), 'metadata.transaction-record-id', /integer ≥ 1/],
    ['no transaction-record-id with a commit time', (m) => delete m.metadata['transaction-record-id'], 'metadata.transaction-record-id', /required/],
    ['a commit timestamp that is not one', (m) => (m.metadata['commit-timestamp'] = '29/07/2024'), 'metadata.commit-timestamp', /expected a timestamp/],
    ['a commit LSN that is not one', (m) => (m.metadata['commit-lsn'] = 'zz'), 'metadata.commit-lsn', /PostgreSQL LSN/],
    ['a transaction id that is an object', (m) => (m.metadata['transaction-id'] = {}), 'metadata.transaction-id', /expected a transaction id/],
  ];
  test.each(cases)('%s', (_name, mutate, field, reason) => {
    const message = base();
    mutate(message);
    const error = errorOf(() => parseObject(message));
    expect(error).toMatchObject({ name: 'ChangeFormatError', format: 'dms-kinesis', field });
    expect(error.reason).toMatch(reason);
    expect(error.message).toBe(`dms-kinesis: ${field}: ${error.reason}`);
  });

  test('an integer column of order_lines out of int4 range', () => {
    const error = errorOf(() => parseObject({ data: { order_id: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', line_no: 2 ** 31 }, metadata: { 'record-type': 'data', operation: 'load', 'schema-name': 'shop', 'table-name': 'order_lines' } }));
    expect(error.field).toBe('data.line_no');
  });

  test.each<[string, Uint8Array | string, RegExp]>([
    ['invalid JSON', Buffer.from('{"data": {'), /not valid JSON/],
    ['invalid UTF-8', Uint8Array.from([0x7b, 0xff, 0x7d]), /not valid UTF-8/],
    ['an empty record', Buffer.alloc(0), /empty message/],
    ['a JSON array', '[]', /expected a JSON object, got an array/],
  ])('%s is an error of the whole message', (_name, input, reason) => {
    const error = errorOf(() => parseDmsKinesisMessage(input));
    expect(error.field).toBeUndefined();
    expect(error.reason).toMatch(reason);
  });
});

describe('encodeDmsKinesisMessage', () => {
  const customers = sourceTable('shop', 'customers')!;
  const row = { customer_id: '42', email: 'a@b.c', full_name: 'A', country: 'DE', balance: '12.50', vip: true, signed_up_at: '2026-11-25T22:00:00.123456Z', notes: null };
  const insert: RowChange = { kind: 'row', operation: 'insert', schema: 'shop', table: 'customers', after: row, before: undefined, keyColumns: customers.keyColumns, position: { commit: '00000000016B3748', sequence: 0 }, transactionId: '1139', commitTimestamp: '2026-11-25T22:00:00.200000Z' };

  test('writes DMS metadata, exact numbers, the commit LSN, and the primary-key partition key with schema and table', () => {
    const { data, partitionKey } = encodeDmsKinesisMessage(insert, { timestamp: new Date('2026-11-25T22:00:01.5Z') });
    expect(partitionKey).toBe('shop.customers.42');
    const text = data.toString('utf8');
    expect(text).toContain('\t"balance": 12.50,');
    expect(text).toContain('\t"customer_id": 42,');
    expect(JSON.parse(text)).toEqual({
      data: { ...row, customer_id: 42, balance: 12.5 },
      metadata: {
        timestamp: '2026-11-25T22:00:01.500000Z',
        'record-type': 'data',
        operation: 'insert',
        'partition-key-type': 'primary-key',
        'partition-key-value': 'shop.customers.42',
        'schema-name': 'shop',
        'table-name': 'customers',
        'transaction-id': 1139,
        'transaction-record-id': 1,
        'commit-timestamp': '2026-11-25T22:00:00.200000Z',
        'commit-lsn': '0/16B3748',
      },
    });
  });

  test('JSON_UNFORMATTED is one line ending in a newline; partition key without schema and table', () => {
    const { data, partitionKey } = encodeDmsKinesisMessage(insert, { messageFormat: 'json-unformatted', partitionIncludeSchemaTable: false, includePartitionValue: false });
    const text = data.toString();
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.slice(0, -1)).not.toMatch(/[\n\t]/);
    expect(partitionKey).toBe('42');
    expect(JSON.parse(text)).not.toHaveProperty(['metadata', 'partition-key-value']);
  });

  test('composite keys join with "."; control records use the task id; values must be canonical', () => {
    const line: RowChange = { ...insert, table: 'order_lines', after: { order_id: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', line_no: 3, sku: 's', quantity: 1, unit_price: '1.0000', note: null }, keyColumns: ['order_id', 'line_no'] };
    expect(encodeDmsKinesisMessage(line).partitionKey).toBe('shop.order_lines.a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11.3');
    const truncate: ChangeEvent = { kind: 'control', operation: 'truncate', schema: 'shop', table: 'orders', position: { commit: '00000000016B3750', sequence: 0 }, transactionId: '7', commitTimestamp: undefined };
    const encoded = encodeDmsKinesisMessage(truncate, { taskId: 'task-1' });
    expect(encoded.partitionKey).toBe('task-1.shop.orders');
    expect(JSON.parse(encoded.data.toString())).toMatchObject({ metadata: { 'record-type': 'control', operation: 'truncate-table', 'partition-key-type': 'task-id' } });
    expect(parseDmsKinesisMessage(encoded.data)).toEqual(truncate);
    expect(() => encodeDmsKinesisMessage({ ...insert, after: { ...row, balance: '12.5' } })).toThrow(/not canonical for numeric\(14,2\)/);
    expect(() => encodeDmsKinesisMessage({ ...insert, after: { ...row, email: null } })).toThrow(/null in NOT NULL/);
    expect(() => encodeDmsKinesisMessage({ ...insert, operation: 'delete', after: undefined })).toThrow(/needs a before image/);
    expect(() => encodeDmsKinesisMessage({ ...insert, position: { commit: 'soon', sequence: 0 } })).toThrow(RangeError);
  });

  /** A row change of any table and operation, in either commit domain, as the capture would hand it over. */
  const changeArb: fc.Arbitrary<RowChange> = tableArb.chain((table: SourceTable) =>
    fc
      .record({
        operation: fc.constantFrom('load', 'insert', 'update', 'delete' as const),
        row: rowOf(table),
        oldRow: rowOf(table),
        beforeKind: fc.constantFrom('none', 'key', 'full'),
        lsn: lsnPosition,
        byTime: fc.boolean(),
        commitTimestamp: fc.option(canonicalTimestamp, { nil: undefined }),
        transactionId: fc.option(fc.oneof(fc.bigInt({ min: 1n, max: 2n ** 64n }).map(String), fc.constant('tx-a1')), { nil: undefined }),
      })
      .map(({ operation, row, oldRow, beforeKind, lsn, byTime, commitTimestamp, transactionId }): RowChange => {
        const timePosition = byTime && commitTimestamp !== undefined && operation !== 'load';
        const before =
          operation === 'delete'
            ? beforeKind === 'full' ? oldRow : keyImage(table, oldRow)
            : operation === 'update' && beforeKind !== 'none' ? (beforeKind === 'key' ? keyImage(table, oldRow) : oldRow) : undefined;
        return {
          kind: 'row',
          operation,
          schema: 'shop',
          table: table.table,
          after: operation === 'delete' ? undefined : row,
          before,
          keyColumns: table.keyColumns,
          position: operation === 'load' ? SNAPSHOT_POSITION : timePosition ? { commit: commitTimestamp, sequence: lsn.sequence } : lsn,
          transactionId,
          commitTimestamp,
        };
      }),
  );

  test('encode → parse is the identity for every operation and column type (JSON and JSON_UNFORMATTED)', () => {
    fc.assert(
      fc.property(changeArb, fc.constantFrom('json', 'json-unformatted' as const), (change, messageFormat) => {
        const { data, partitionKey } = encodeDmsKinesisMessage(change, { messageFormat });
        expect(parseDmsKinesisMessage(data)).toEqual(change);
        const keyImageOf = change.operation === 'delete' ? change.before! : change.after!;
        expect(partitionKey).toBe(`shop.${change.table}.${change.keyColumns!.map((k) => String(keyImageOf[k])).join('.')}`);
      }),
      { numRuns: 300 },
    );
  });
});

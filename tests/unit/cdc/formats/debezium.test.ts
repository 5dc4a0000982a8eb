import fc from 'fast-check';
import type { RowChange } from '../../../../lib/cdc/change-event';
import { ChangeFormatError } from '../../../../lib/cdc/change-event';
import { DebeziumLogicalMessageError, parseDebeziumEnvelope } from '../../../../lib/cdc/formats/debezium';
import { decimalToUnscaledBytes, unscaledBytesToDecimal } from '../../../../lib/cdc/formats/pg-values';
import { SNAPSHOT_POSITION } from '../../../../lib/cdc/formats/positions';
import { thrownBy } from '../../../support/errors';

/** A PostgreSQL connector event as Debezium writes it (decimal.handling.mode=string, schemas disabled). */
const updateEvent = {
  before: { customer_id: 42, email: 'old@example.com', full_name: 'Ana', country: 'PL', balance: '10.00', vip: false, signed_up_at: '2026-11-25T21:00:00.000000Z', notes: null },
  after: { customer_id: 42, email: 'ana@example.com', full_name: 'Ana', country: 'PL', balance: '12.50', vip: true, signed_up_at: '2026-11-25T21:00:00.000000Z', notes: 'moved' },
  source: {
    version: '2.7.3.Final',
    connector: 'postgresql',
    name: 'shop-server',
    ts_ms: 1764108000123,
    ts_us: 1764108000123456,
    snapshot: 'false',
    db: 'shop',
    sequence: '["24023119","24023128"]',
    schema: 'shop',
    table: 'customers',
    txId: 1139,
    lsn: 24023128,
    xmin: null,
  },
  op: 'u',
  ts_ms: 1764108000200,
  transaction: null,
};

const errorOf = (run: () => unknown): ChangeFormatError => thrownBy(ChangeFormatError, run);

const base64 = (decimal: string, scale: number): string => Buffer.from(decimalToUnscaledBytes(decimal, scale)).toString('base64');

/** The `{ schema, payload }` form (JSON converter with schemas.enable=true), numeric columns as precise Decimals. */
function withSchema(payload: Record<string, unknown>): Record<string, unknown> {
  const columns = [
    { type: 'int64', optional: false, field: 'customer_id' },
    { type: 'string', optional: false, field: 'email' },
    { type: 'string', optional: false, field: 'full_name' },
    { type: 'string', optional: true, field: 'country' },
    { type: 'bytes', optional: false, name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters: { scale: '2', 'connect.decimal.precision': '14' }, field: 'balance' },
    { type: 'boolean', optional: false, field: 'vip' },
    { type: 'string', optional: false, name: 'io.debezium.time.ZonedTimestamp', version: 1, field: 'signed_up_at' },
    { type: 'string', optional: true, field: 'notes' },
  ];
  return {
    schema: {
      type: 'struct',
      name: 'shop-server.shop.customers.Envelope',
      optional: false,
      fields: [
        { type: 'struct', fields: columns, optional: true, name: 'shop-server.shop.customers.Value', field: 'before' },
        { type: 'struct', fields: columns, optional: true, name: 'shop-server.shop.customers.Value', field: 'after' },
        { type: 'struct', fields: [], optional: false, name: 'io.debezium.connector.postgresql.Source', field: 'source' },
        { type: 'string', optional: false, field: 'op' },
        { type: 'int64', optional: true, field: 'ts_ms' },
      ],
    },
    payload,
  };
}

describe('parseDebeziumEnvelope', () => {
  test('an update without schema: canonical images, position from source.lsn, commit time from ts_us', () => {
    expect(parseDebeziumEnvelope(Buffer.from(JSON.stringify(updateEvent)))).toEqual({
      kind: 'row',
      operation: 'update',
      schema: 'shop',
      table: 'customers',
      before: { customer_id: '42', email: 'old@example.com', full_name: 'Ana', country: 'PL', balance: '10.00', vip: false, signed_up_at: '2026-11-25T21:00:00.000000Z', notes: null },
      after: { customer_id: '42', email: 'ana@example.com', full_name: 'Ana', country: 'PL', balance: '12.50', vip: true, signed_up_at: '2026-11-25T21:00:00.000000Z', notes: 'moved' },
      keyColumns: ['customer_id'],
      position: { commit: '00000000016E9058', sequence: 0 },
      transactionId: '1139',
      commitTimestamp: '2025-11-25T22:00:00.123456Z',
    });
  });

  test('the { schema, payload } wrapper with precise decimals (base64 of the unscaled value, scale from the schema)', () => {
    const payload = {
      ...updateEvent,
      before: null,
      after: { ...updateEvent.after, balance: base64('-12345678901.25', 2), customer_id: 9223372036854775807n.toString() },
    };
    const text = JSON.stringify(withSchema(payload)).replace('"9223372036854775807"', '9223372036854775807');
    const change = parseDebeziumEnvelope(text) as RowChange;
    expect(change.after).toMatchObject({ balance: '-12345678901.25', customer_id: '9223372036854775807' });
    expect(change.before).toBeUndefined();
    expect(base64('12.50', 2)).toBe('BOI=');
    expect((parseDebeziumEnvelope(withSchema({ ...payload, after: { ...updateEvent.after, balance: 'BOI=' } })) as RowChange).after!.balance).toBe('12.50');
  });

  test('precise decimals without a schema take the scale from shop.json; VariableScaleDecimal structs decode', () => {
    const event = { ...updateEvent, before: null, after: { ...updateEvent.after, balance: 'BOI=' } };
    expect((parseDebeziumEnvelope(event, { decimalHandlingMode: 'precise' }) as RowChange).after!.balance).toBe('12.50');
    const variable = { ...event, after: { ...updateEvent.after, balance: { scale: 1, value: Buffer.from([0x7d]).toString('base64') } } };
    expect((parseDebeziumEnvelope(variable) as RowChange).after!.balance).toBe('12.50');
  });

  test('c → insert, r → load at the snapshot position, d → delete with the key, t → truncate', () => {
    const insert = parseDebeziumEnvelope({ ...updateEvent, op: 'c', before: null }) as RowChange;
    expect(insert).toMatchObject({ operation: 'insert', before: undefined });
    const read = parseDebeziumEnvelope({ ...updateEvent, op: 'r', before: null, source: { ...updateEvent.source, snapshot: 'true' } }) as RowChange;
    expect(read).toMatchObject({ operation: 'load', position: SNAPSHOT_POSITION, commitTimestamp: undefined });
    const deleted = parseDebeziumEnvelope({ ...updateEvent, op: 'd', after: null, before: { customer_id: 42, email: null, full_name: null, country: null, balance: null, vip: null, signed_up_at: null, notes: null } }) as RowChange;
    expect(deleted).toMatchObject({ operation: 'delete', after: undefined, before: { customer_id: '42', email: null } });
    expect(parseDebeziumEnvelope({ op: 't', before: null, after: null, source: { ...updateEvent.source, table: 'orders' }, ts_ms: 1 })).toEqual({
      kind: 'control',
      operation: 'truncate',
      schema: 'shop',
      table: 'orders',
      position: { commit: '00000000016E9058', sequence: 0 },
      transactionId: '1139',
      commitTimestamp: '2025-11-25T22:00:00.123456Z',
    });
  });

  test('unchanged TOASTed columns (the unavailable-value placeholder) are left out of the image', () => {
    const change = parseDebeziumEnvelope({ ...updateEvent, after: { ...updateEvent.after, notes: '__debezium_unavailable_value' } }) as RowChange;
    expect(change.after).not.toHaveProperty('notes');
  });

  test('op m (a logical decoding message) is its own typed error', () => {
    const error = errorOf(() => parseDebeziumEnvelope({ op: 'm', source: updateEvent.source, message: { prefix: 'audit', content: 'AQI=' }, ts_ms: 1 }));
    expect(error).toBeInstanceOf(DebeziumLogicalMessageError);
    expect(error).toMatchObject({ format: 'debezium', field: 'op', prefix: 'audit' });
  });

  test.each<[string, unknown, string | undefined, RegExp]>([
    ['an unknown op', { ...updateEvent, op: 'x' }, 'op', /expected one of c\|u\|d\|r\|t\|m, got "x"/],
    ['an unknown op in a payload', withSchema({ ...updateEvent, op: 'upsert' }), 'payload.op', /got "upsert"/],
    ['no source', { ...updateEvent, source: undefined }, 'source', /expected an object, got nothing/],
    ['no table in source', { ...updateEvent, source: { ...updateEvent.source, table: undefined } }, 'source.table', /non-empty string/],
    ['no lsn', { ...updateEvent, source: { ...updateEvent.source, lsn: undefined } }, 'source.lsn', /required/],
    ['a negative lsn', { ...updateEvent, source: { ...updateEvent.source, lsn: -1 } }, 'source.lsn', /non-negative integer/],
    ['no after for an insert', { ...updateEvent, op: 'c', after: null }, 'after', /expected an object, got null/],
    ['no before for a delete', { ...updateEvent, op: 'd', after: null, before: null }, 'before', /expected an object, got null/],
    ['a bad numeric', { ...updateEvent, after: { ...updateEvent.after, balance: '12.345' } }, 'after.balance', /more than 2 fraction digits/],
    ['bad base64', withSchema({ ...updateEvent, after: { ...updateEvent.after, balance: '12.50' } }), 'payload.after.balance', /expected base64/],
    ['a bad timestamp', { ...updateEvent, after: { ...updateEvent.after, signed_up_at: 1764108000000 } }, 'after.signed_up_at', /expected a timestamp string/],
    ['an unknown column', { ...updateEvent, after: { ...updateEvent.after, shoe_size: 43 } }, 'after.shoe_size', /not a column/],
    ['a NULL in a NOT NULL column', { ...updateEvent, after: { ...updateEvent.after, email: null } }, 'after.email', /null in NOT NULL/],
    ['a tombstone', 'null', undefined, /tombstone/],
    ['a null payload', { schema: {}, payload: null }, 'payload', /tombstone/],
  ])('%s names the field', (_name, event, field, reason) => {
    const error = errorOf(() => parseDebeziumEnvelope(typeof event === 'string' ? event : (event as object)));
    expect(error).toMatchObject({ format: 'debezium', field });
    expect(error.reason).toMatch(reason);
  });

  test('tables outside the contract keep their values (logical types decoded from the schema)', () => {
    const change = parseDebeziumEnvelope({ op: 'c', before: null, after: { id: 1, v: 'x', n: { scale: 2, value: 'BOI=' } }, source: { ...updateEvent.source, schema: 'public', table: 'other' } }) as RowChange;
    expect(change.after).toEqual({ id: 1, v: 'x', n: '12.50' });
    expect(change.keyColumns).toBeUndefined();
  });

  test('Decimal bytes round trip for any unscaled value and scale', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), fc.integer({ min: 0, max: 12 }), (unscaled, scale) => {
        const negative = unscaled < 0n;
        const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
        const decimal = `${negative ? '-' : ''}${digits.slice(0, digits.length - scale)}${scale > 0 ? `.${digits.slice(-scale)}` : ''}`;
        expect(unscaledBytesToDecimal(decimalToUnscaledBytes(decimal, scale), scale)).toBe(decimal);
      }),
    );
  });
});

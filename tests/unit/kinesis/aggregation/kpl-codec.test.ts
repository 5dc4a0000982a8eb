import { createHash } from 'node:crypto';
import {
  AggregateBuilder,
  KPL_MAGIC,
  KplFormatError,
  aggregate,
  aggregatedSize,
  deaggregate,
  isAggregated,
  type UserRecordInput,
} from '../../../../lib/kinesis/aggregation';
import { bytesField, fixed32Field, fixed64Field, groupField, varintField } from './protobuf-bytes';

/** Wraps protobuf bytes as an aggregate: magic, bytes, MD5. */
const wrap = (protobuf: readonly number[]): Buffer => {
  const body = Buffer.from(protobuf);
  return Buffer.concat([KPL_MAGIC, body, createHash('md5').update(body).digest()]);
};
const outer = { partitionKey: 'outer-pk', explicitHashKey: '42' };

function expectFormatError(data: Buffer, reason: KplFormatError['reason']): void {
  let caught: unknown;
  try {
    deaggregate(data, outer);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(KplFormatError);
  expect((caught as KplFormatError).name).toBe('KplFormatError');
  expect((caught as KplFormatError).reason).toBe(reason);
}

describe('aggregate', () => {
  test('writes magic, de-duplicated key tables in first-seen order, records in order, MD5', () => {
    const data = aggregate([
      { partitionKey: 'a', data: Buffer.from('hello') },
      { partitionKey: 'b', explicitHashKey: '123', data: Buffer.from('x') },
      { partitionKey: 'a', data: Buffer.alloc(0) },
    ]);
    const protobuf = [
      ...bytesField(1, 'a'),
      ...bytesField(1, 'b'),
      ...bytesField(2, '123'),
      ...bytesField(3, [...varintField(1, 0), ...bytesField(3, 'hello')]),
      ...bytesField(3, [...varintField(1, 1), ...varintField(2, 0), ...bytesField(3, 'x')]),
      ...bytesField(3, [...varintField(1, 0), ...bytesField(3, [])]),
    ];
    expect(data).toEqual(wrap(protobuf));
  });

  test('refuses to build an empty aggregate (the KCL would read it as a plain record)', () => {
    expect(() => aggregate([])).toThrow(RangeError);
  });

  test('encodes multi-byte varints and UTF-8 keys', () => {
    const big = Buffer.alloc(300, 7);
    const records: UserRecordInput[] = [{ partitionKey: 'é日本', data: big }];
    for (let i = 0; i < 130; i++) records.push({ partitionKey: `k${i}`, data: Buffer.from([i]) });
    const data = aggregate(records);
    expect(data.length).toBe(aggregatedSize(records));
    const out = deaggregate(data, outer);
    expect(out).toHaveLength(131);
    expect(out[0]).toEqual({ partitionKey: 'é日本', explicitHashKey: undefined, data: big, subSequenceNumber: 0, aggregated: true });
    expect(out[130]).toMatchObject({ partitionKey: 'k129', subSequenceNumber: 130 });
    expect(out[130]!.data).toEqual(Buffer.from([129]));
  });
});

describe('AggregateBuilder', () => {
  test('knows the size before and after each add, and resets', () => {
    const builder = new AggregateBuilder();
    expect(builder.count).toBe(0);
    expect(builder.size).toBe(20);
    const records: UserRecordInput[] = [
      { partitionKey: 'device-1', data: Buffer.alloc(100) },
      { partitionKey: 'device-1', data: Buffer.alloc(127) },
      { partitionKey: 'device-2', explicitHashKey: '340282366920938463463374607431768211455', data: Buffer.alloc(20_000) },
      { partitionKey: 'device-3', explicitHashKey: '340282366920938463463374607431768211455', data: Buffer.alloc(1) },
    ];
    for (const record of records) {
      const predicted = builder.sizeWith(record);
      builder.add(record);
      expect(builder.size).toBe(predicted);
      expect(builder.build().length).toBe(predicted);
    }
    expect(builder.count).toBe(4);
    expect(deaggregate(builder.build(), outer).map((r) => r.explicitHashKey)).toEqual([undefined, undefined, records[2]!.explicitHashKey, records[2]!.explicitHashKey]);
    builder.reset();
    expect(builder.count).toBe(0);
    expect(builder.size).toBe(20);
    builder.add({ partitionKey: 'z', data: Buffer.from('1') });
    expect(deaggregate(builder.build(), outer)).toEqual([{ partitionKey: 'z', explicitHashKey: undefined, data: Buffer.from('1'), subSequenceNumber: 0, aggregated: true }]);
  });
});

describe('isAggregated', () => {
  test('needs the magic and more than magic + MD5 bytes', () => {
    expect(isAggregated(Buffer.from('{"a":1}'))).toBe(false);
    expect(isAggregated(Buffer.alloc(0))).toBe(false);
    expect(isAggregated(KPL_MAGIC)).toBe(false);
    expect(isAggregated(wrap([]))).toBe(false); // magic + digest of nothing: 20 bytes
    expect(isAggregated(Buffer.concat([KPL_MAGIC, Buffer.alloc(17)]))).toBe(true);
    expect(isAggregated(aggregate([{ partitionKey: 'p', data: Buffer.alloc(0) }]))).toBe(true);
    const almost = Buffer.from(aggregate([{ partitionKey: 'p', data: Buffer.from('d') }]));
    almost[3] = 0xc3;
    expect(isAggregated(almost)).toBe(false);
  });

  test('accepts a Uint8Array that is not a Buffer', () => {
    const data = aggregate([{ partitionKey: 'p', data: Buffer.from('d') }]);
    const copy = new Uint8Array(data.length + 3).subarray(3);
    copy.set(data);
    expect(isAggregated(copy)).toBe(true);
    expect(deaggregate(copy, outer)[0]!.data).toEqual(Buffer.from('d'));
  });
});

describe('deaggregate', () => {
  test('passes a plain record through as one user record with the outer keys', () => {
    const data = Buffer.from('{"device_id":"d1"}');
    expect(deaggregate(data, outer)).toEqual([{ partitionKey: 'outer-pk', explicitHashKey: '42', data, subSequenceNumber: 0, aggregated: false }]);
    expect(deaggregate(wrap([]), { partitionKey: 'p' })).toEqual([{ partitionKey: 'p', explicitHashKey: undefined, data: wrap([]), subSequenceNumber: 0, aggregated: false }]);
  });

  test('gives each inner record its own keys and sub-sequence number', () => {
    const data = aggregate([
      { partitionKey: 'a', explicitHashKey: '7', data: Buffer.from('1') },
      { partitionKey: 'b', data: Buffer.from('2') },
    ]);
    expect(deaggregate(data, outer)).toEqual([
      { partitionKey: 'a', explicitHashKey: '7', data: Buffer.from('1'), subSequenceNumber: 0, aggregated: true },
      { partitionKey: 'b', explicitHashKey: undefined, data: Buffer.from('2'), subSequenceNumber: 1, aggregated: true },
    ]);
  });

  test('throws checksum on a wrong MD5', () => {
    const data = Buffer.from(aggregate([{ partitionKey: 'p', data: Buffer.from('payload') }]));
    data[data.length - 1]! ^= 1;
    expectFormatError(data, 'checksum');
    const body = Buffer.from(aggregate([{ partitionKey: 'p', data: Buffer.from('payload') }]));
    body[10]! ^= 1;
    expectFormatError(body, 'checksum');
  });

  test('throws protobuf on truncated or malformed messages', () => {
    const record = [...varintField(1, 0), ...bytesField(3, 'x')];
    // Length runs past the end.
    expectFormatError(wrap([...bytesField(1, 'p'), 0x1a, 50, ...record]), 'protobuf');
    // Truncated varint.
    expectFormatError(wrap([...bytesField(1, 'p'), ...bytesField(3, record), 0x08, 0x80]), 'protobuf');
    // Wrong wire type for a known field (partition_key_table as a varint).
    expectFormatError(wrap([...varintField(1, 3), ...bytesField(3, record)]), 'protobuf');
    // Wrong wire type inside a Record (data as a varint).
    expectFormatError(wrap([...bytesField(1, 'p'), ...bytesField(3, [...varintField(1, 0), ...varintField(3, 1)])]), 'protobuf');
    // Missing required fields.
    expectFormatError(wrap([...bytesField(1, 'p'), ...bytesField(3, bytesField(3, 'x'))]), 'protobuf');
    expectFormatError(wrap([...bytesField(1, 'p'), ...bytesField(3, varintField(1, 0))]), 'protobuf');
    // Invalid wire type 7, field number 0, stray end-group, unterminated group.
    expectFormatError(wrap([...bytesField(1, 'p'), 0x0f]), 'protobuf');
    expectFormatError(wrap([...bytesField(1, 'p'), 0x00, 0x01]), 'protobuf');
    expectFormatError(wrap([...bytesField(1, 'p'), 0x2c]), 'protobuf');
    expectFormatError(wrap([...bytesField(1, 'p'), 0x2b, ...varintField(1, 1)]), 'protobuf');
    // A varint over 10 bytes.
    expectFormatError(wrap([...bytesField(1, 'p'), 0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 'protobuf');
    // A tag without its required key.
    expectFormatError(wrap([...bytesField(1, 'p'), ...bytesField(3, [...record, ...bytesField(4, bytesField(2, 'v'))])]), 'protobuf');
    // A fixed-width unknown field running past the end.
    expectFormatError(wrap([...bytesField(1, 'p'), 0x2d, 1, 2]), 'protobuf');
  });

  test('throws index on a key index outside its table', () => {
    expectFormatError(wrap([...bytesField(1, 'p'), ...bytesField(3, [...varintField(1, 1), ...bytesField(3, 'x')])]), 'index');
    expectFormatError(wrap([...bytesField(1, 'p'), ...bytesField(3, [...varintField(1, 0), ...varintField(2, 0), ...bytesField(3, 'x')])]), 'index');
    // A uint64 index far beyond 2^53.
    expectFormatError(wrap([...bytesField(1, 'p'), ...bytesField(3, [...varintField(1, 2n ** 63n), ...bytesField(3, 'x')])]), 'index');
  });

  test('skips unknown fields of every wire type, decodes and ignores tags, and accepts any field order', () => {
    const unknowns = [...varintField(9, 300), ...fixed64Field(10), ...bytesField(11, 'junk'), ...fixed32Field(12), ...groupField(13, [...varintField(1, 5), ...groupField(2, bytesField(3, 'n'))])];
    const tag = bytesField(4, [...bytesField(1, 'k'), ...bytesField(2, 'v'), ...varintField(5, 1)]);
    const data = wrap([
      ...unknowns,
      // Records before the tables they point into, fields within a record out of order.
      ...bytesField(3, [...bytesField(3, 'first'), ...tag, ...unknowns, ...varintField(1, 1), ...varintField(2, 0)]),
      ...bytesField(1, 'p0'),
      ...bytesField(2, '99'),
      ...unknowns,
      ...bytesField(1, 'p1'),
      ...bytesField(3, [...varintField(1, 0), ...bytesField(4, bytesField(1, 'only-key')), ...bytesField(3, 'second')]),
    ]);
    expect(deaggregate(data, outer)).toEqual([
      { partitionKey: 'p1', explicitHashKey: '99', data: Buffer.from('first'), subSequenceNumber: 0, aggregated: true },
      { partitionKey: 'p0', explicitHashKey: undefined, data: Buffer.from('second'), subSequenceNumber: 1, aggregated: true },
    ]);
  });

  test('an aggregate whose protobuf holds no record gives no user record', () => {
    expect(deaggregate(wrap(bytesField(1, 'p')), outer)).toEqual([]);
  });
});

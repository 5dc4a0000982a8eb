/**
 * Byte compatibility with aws-kinesis-agg 4.2.8 (AWS's reference Node codec), both ways, and our
 * own round trip, over generated user records.
 */
import fc from 'fast-check';
import { RecordAggregator, deaggregateSync, type DeaggregatedUserRecord } from 'aws-kinesis-agg';
import { aggregate, deaggregate, type UserRecordInput } from '../../../../lib/kinesis/aggregation';

const MAX_HASH_KEY = 2n ** 128n - 1n;

/**
 * aws-kinesis-agg keeps its key tables in plain objects and writes `Object.keys(table)`: keys that
 * are array indexes ("0" … "4294967294") come out first in numeric order, so its indexes point at
 * the wrong keys, and a key `__proto__` never enters its table at all (both shown in the last
 * tests). Comparisons with it stay clear of such keys.
 */
const confusesPlainObjects = (key: string): boolean => key === '__proto__' || (/^(0|[1-9]\d*)$/.test(key) && BigInt(key) < 2n ** 32n - 1n);

const userRecord: fc.Arbitrary<UserRecordInput> = fc.record(
  {
    // aws-kinesis-agg rejects an empty partition key; Kinesis requires 1–256 characters.
    partitionKey: fc.oneof(fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }), fc.constantFrom('device-1', 'device-2', 'device-3')).filter((key) => !confusesPlainObjects(key)),
    explicitHashKey: fc.option(
      fc.oneof(fc.bigInt({ min: 0n, max: MAX_HASH_KEY }), fc.constantFrom(2n ** 127n, MAX_HASH_KEY)).map(String).filter((key) => !confusesPlainObjects(key)),
      { nil: undefined },
    ),
    data: fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
  },
  { requiredKeys: ['partitionKey', 'data'] },
);
const userRecords = fc.array(userRecord, { minLength: 1, maxLength: 60 });

function referenceAggregate(records: readonly UserRecordInput[]): Buffer {
  const aggregator = new RecordAggregator();
  for (const record of records) {
    aggregator.addUserRecord({
      partitionKey: record.partitionKey,
      ...(record.explicitHashKey !== undefined ? { explicitHashKey: record.explicitHashKey } : {}),
      data: Buffer.from(record.data),
    });
  }
  const encoded = aggregator.build();
  if (!encoded) throw new Error('aws-kinesis-agg built nothing');
  return encoded.data;
}

function referenceDeaggregate(data: Buffer): DeaggregatedUserRecord[] {
  let result: DeaggregatedUserRecord[] | undefined;
  deaggregateSync({ partitionKey: 'outer', sequenceNumber: '1', data: data.toString('base64') }, true, (error, records) => {
    if (error) throw error;
    result = records;
  });
  if (!result) throw new Error('aws-kinesis-agg gave no result');
  return result;
}

describe('KPL codec against aws-kinesis-agg 4.2.8', () => {
  test('round trip: deaggregate(aggregate(records)) gives the records back, in order', () => {
    fc.assert(
      fc.property(userRecords, (records) => {
        const out = deaggregate(aggregate(records), { partitionKey: 'outer' });
        expect(out).toEqual(
          records.map((record, index) => ({
            partitionKey: record.partitionKey,
            explicitHashKey: record.explicitHashKey,
            data: Buffer.from(record.data),
            subSequenceNumber: index,
            aggregated: true,
          })),
        );
      }),
    );
  });

  test('our aggregate is byte-identical to aws-kinesis-agg’s', () => {
    fc.assert(fc.property(userRecords, (records) => expect(aggregate(records).equals(referenceAggregate(records))).toBe(true)));
  });

  test('aws-kinesis-agg de-aggregates what we aggregate', () => {
    fc.assert(
      fc.property(userRecords, (records) => {
        const out = referenceDeaggregate(aggregate(records));
        expect(out.map((r) => [r.partitionKey, r.subSequenceNumber, Buffer.from(r.data, 'base64')])).toEqual(records.map((r, i) => [r.partitionKey, i, Buffer.from(r.data)]));
        // aws-kinesis-agg reports table entry 0 for a record without an explicit hash key (protobufjs
        // reads the absent index as 0), so compare only where one was set.
        records.forEach((record, i) => {
          if (record.explicitHashKey !== undefined) expect(out[i]!.explicitPartitionKey).toBe(record.explicitHashKey);
        });
      }),
    );
  });

  test('we de-aggregate what aws-kinesis-agg aggregates', () => {
    fc.assert(
      fc.property(userRecords, (records) => {
        const out = deaggregate(referenceAggregate(records), { partitionKey: 'outer' });
        expect(out.map((r) => [r.partitionKey, r.explicitHashKey, r.data])).toEqual(records.map((r) => [r.partitionKey, r.explicitHashKey, Buffer.from(r.data)]));
      }),
    );
  });

  test('aws-kinesis-agg mis-indexes array-index-like keys; our codec keeps them straight', () => {
    const records: UserRecordInput[] = [
      { partitionKey: 'device-9', explicitHashKey: '7', data: Buffer.from('a') },
      { partitionKey: '12', explicitHashKey: '3', data: Buffer.from('b') },
    ];
    const theirs = deaggregate(referenceAggregate(records), { partitionKey: 'outer' });
    expect(theirs.map((r) => [r.partitionKey, r.explicitHashKey])).toEqual([['12', '3'], ['device-9', '7']]);
    const ours = deaggregate(aggregate(records), { partitionKey: 'outer' });
    expect(ours.map((r) => [r.partitionKey, r.explicitHashKey])).toEqual([['device-9', '7'], ['12', '3']]);
  });

  test('aws-kinesis-agg loses a `__proto__` partition key; our codec keeps it', () => {
    const records: UserRecordInput[] = [{ partitionKey: '__proto__', data: Buffer.from('a') }, { partitionKey: 'device-1', data: Buffer.from('b') }];
    expect(() => deaggregate(referenceAggregate(records), { partitionKey: 'outer' })).toThrow(/partition key index 1 outside a table of 1/);
    expect(deaggregate(aggregate(records), { partitionKey: 'outer' }).map((r) => r.partitionKey)).toEqual(['__proto__', 'device-1']);
  });
});

import fc from 'fast-check';
import type { CsvRecordTransform } from '../../../lib/firehose/csv-record-transform';
import { compileCsvRecordTransform } from '../../../lib/firehose/csv-record-transform';
import { ReingestError } from '../../../lib/firehose/reingest';
import { droppedAnswer } from '../../../lib/firehose/response-size';
import { transformBatch } from '../../../lib/firehose/transform-batch';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from '../../../lib/firehose/transformation-contract';
import { DEFAULT_RESPONSE_BUDGET_BYTES } from '../../../lib/firehose/transformation-contract';
import { generateClickstreamRows } from '../../../lib/datasets/clickstream';
import { formatCsvRows, parseCsvRows } from '../../../lib/formats/csv/csv-rows';
import { buildTransformationEvents } from '../../../lib/local/firehose/transformation-events';
import { getSchema } from '../../../lib/schemas/registry';
import {
  KINESIS_STREAM_ARN,
  RecordingLogger,
  RecordingReingester,
  clickstreamFields,
  clickstreamLine,
  firehoseEvent,
  firehoseRecord,
  fromBase64,
} from '../../support/firehose';

const transform = compileCsvRecordTransform(getSchema('clickstream'));

const responseBytes = (response: FirehoseTransformationResult): number => Buffer.byteLength(JSON.stringify(response));
const csvRowCount = (bytes: Uint8Array): number => {
  const parsed = parseCsvRows(Buffer.from(bytes).toString('utf8'));
  if (!parsed.ok) throw new Error('re-ingested data is not CSV');
  return parsed.rows.length;
};

/** A mixed batch: Ok, Dropped, ProcessingFailed (several kinds), Split. */
function mixedEvent(options: { kinesis?: boolean } = {}): FirehoseTransformationEvent {
  const kinesis = (key: string): { kinesis?: { partitionKey: string } } => (options.kinesis ? { kinesis: { partitionKey: key } } : {});
  return firehoseEvent(
    [
      firehoseRecord('r0', `${clickstreamLine()}\n`, kinesis('k0')),
      firehoseRecord('r1', '  \n', kinesis('k1')),
      firehoseRecord('r2', '@@@@', { rawData: true, ...kinesis('k2') }),
      firehoseRecord('r3', `${clickstreamLine()}\n${clickstreamLine({ country: 'usa' })}\n`, kinesis('k3')),
      firehoseRecord('r4', `${clickstreamLine({ user_id: 'a' })}\n${clickstreamLine({ user_id: 'b', event_type: 'click' })}\n${clickstreamLine({ user_id: 'c' })}\n`, kinesis('k4')),
      firehoseRecord('r5', Uint8Array.from([0x61, 0xff, 0x62]), kinesis('k5')),
      firehoseRecord('r6', `${clickstreamFields().slice(0, 3).join(',')}\n`, kinesis('k6')),
      firehoseRecord('r7', `${clickstreamLine({ event_type: 'purchase', revenue: '19.99' })}\n`, kinesis('k7')),
    ],
    options.kinesis ? { sourceKinesisStreamArn: KINESIS_STREAM_ARN } : {},
  );
}

describe('transformBatch', () => {
  test('answers every record exactly once, in order, with the right result', async () => {
    const event = mixedEvent();
    const { response } = await transformBatch(event, { transform, reingester: new RecordingReingester(), logger: new RecordingLogger() });
    expect(response.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
    expect(response.records.map((r) => r.result)).toEqual(['Ok', 'Dropped', 'ProcessingFailed', 'ProcessingFailed', 'Dropped', 'ProcessingFailed', 'ProcessingFailed', 'Ok']);
  });

  test('Ok answers: base64 NDJSON with partition keys', async () => {
    const { response } = await transformBatch(mixedEvent(), { transform, reingester: new RecordingReingester(), logger: new RecordingLogger() });
    const purchase = response.records[7]!;
    expect(purchase.metadata).toEqual({ partitionKeys: { event_type: 'purchase', dt: '2026-11-25' } });
    const lines = fromBase64(purchase.data).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('');
    expect(JSON.parse(lines[0]!)).toMatchObject({ event_type: 'purchase', revenue: 19.99, referrer: 'https://www.google.com/' });
  });

  test('Dropped answers carry no data and no metadata', async () => {
    const { response } = await transformBatch(mixedEvent(), { transform, reingester: new RecordingReingester(), logger: new RecordingLogger() });
    expect(response.records[1]).toEqual({ recordId: 'r1', result: 'Dropped', data: '' });
    expect(response.records[4]).toEqual({ recordId: 'r4', result: 'Dropped', data: '' });
  });

  test('ProcessingFailed answers keep the original data, and each failure is logged with recordId/line/column/reason', async () => {
    const event = mixedEvent();
    const logger = new RecordingLogger();
    const { response } = await transformBatch(event, { transform, reingester: new RecordingReingester(), logger });
    for (const i of [2, 3, 5, 6]) {
      expect(response.records[i]!.data).toBe(event.records[i]!.data);
      expect(response.records[i]!.metadata).toBeUndefined();
    }
    expect(logger.failures).toEqual([
      { recordId: 'r2', line: null, column: null, reason: 'data is not valid base64' },
      { recordId: 'r3', line: 2, column: 'country', reason: 'must match pattern "^[A-Z]{2}$", got "usa"' },
      { recordId: 'r5', line: null, column: null, reason: 'data is not valid UTF-8' },
      { recordId: 'r6', line: 1, column: null, reason: 'expected 11 columns, found 3' },
    ]);
    expect(logger.entries.filter((e) => e.message === 'Record failed transformation').every((e) => e.level === 'warn')).toBe(true);
  });

  test('a record spanning partitions is Dropped and re-ingested as one CSV record per partition', async () => {
    const reingester = new RecordingReingester();
    const logger = new RecordingLogger();
    const { counts } = await transformBatch(mixedEvent(), { transform, reingester, logger });
    expect(reingester.calls).toHaveLength(1);
    const parts = reingester.records.map((r) => Buffer.from(r.data).toString('utf8'));
    expect(parts).toEqual([
      formatCsvRows([clickstreamFields({ user_id: 'a' }), clickstreamFields({ user_id: 'c' })]),
      formatCsvRows([clickstreamFields({ user_id: 'b', event_type: 'click' })]),
    ]);
    expect(reingester.records.every((r) => r.partitionKey === undefined)).toBe(true);
    expect(counts).toMatchObject({ split: 1, overflow: 0, reingested: 2 });
    expect(logger.entries).toContainEqual({ level: 'info', message: expect.stringContaining('several partitions') as unknown, attributes: { recordId: 'r4', rows: 3, parts: 2 } });
  });

  test('Kinesis source: re-ingested parts keep the source record partition key', async () => {
    const reingester = new RecordingReingester();
    await transformBatch(mixedEvent({ kinesis: true }), { transform, reingester, logger: new RecordingLogger() });
    expect(reingester.records.map((r) => r.partitionKey)).toEqual(['k4', 'k4']);
  });

  test('nothing to re-ingest: the reingester is not called', async () => {
    const reingester = new RecordingReingester();
    await transformBatch(firehoseEvent([firehoseRecord('a', clickstreamLine())]), { transform, reingester, logger: new RecordingLogger() });
    expect(reingester.calls).toHaveLength(0);
  });

  test('counts add up', async () => {
    const { counts, response } = await transformBatch(mixedEvent(), { transform, reingester: new RecordingReingester(), logger: new RecordingLogger() });
    expect(counts).toEqual({
      records: 8, ok: 2, dropped: 2, processingFailed: 4, split: 1, overflow: 0, reingested: 2, rowsOk: 2,
      responseBytes: responseBytes(response),
    });
    expect(counts.ok + counts.dropped + counts.processingFailed).toBe(counts.records);
  });

  test('calls the transform once per record, in order, with its data', async () => {
    const seen: string[] = [];
    const stub: CsvRecordTransform = (base64) => {
      seen.push(base64);
      return { result: 'Ok', json: '{}\n', rows: 1, partitionKeys: { event_type: 'click', dt: '2026-11-25' } };
    };
    const event = firehoseEvent(['a', 'b', 'c'].map((text, i) => firehoseRecord(`r${i}`, text)));
    const { response } = await transformBatch(event, { transform: stub, reingester: new RecordingReingester(), logger: new RecordingLogger() });
    expect(seen).toEqual(event.records.map((r) => r.data));
    expect(response.records.map((r) => fromBase64(r.data))).toEqual(['{}\n', '{}\n', '{}\n']);
  });

  test('an empty batch', async () => {
    const { response, counts } = await transformBatch(firehoseEvent([]), { transform, reingester: new RecordingReingester(), logger: new RecordingLogger() });
    expect(response).toEqual({ records: [] });
    expect(counts).toMatchObject({ records: 0, ok: 0, responseBytes: responseBytes(response) });
  });

  describe('response budget', () => {
    /** Ten single-row records of one partition; ~600 bytes of answer each. */
    const okEvent = (kinesis = false): FirehoseTransformationEvent =>
      firehoseEvent(
        Array.from({ length: 10 }, (_, i) => firehoseRecord(`rec-${i}`, `${clickstreamLine({ user_id: `u-${i}` })}\n`, kinesis ? { kinesis: { partitionKey: `pk-${i}` } } : {})),
        kinesis ? { sourceKinesisStreamArn: KINESIS_STREAM_ARN } : {},
      );

    async function run(event: FirehoseTransformationEvent, budget: number): Promise<{ response: FirehoseTransformationResult; reingester: RecordingReingester; counts: Awaited<ReturnType<typeof transformBatch>>['counts']; logger: RecordingLogger }> {
      const reingester = new RecordingReingester();
      const logger = new RecordingLogger();
      const { response, counts } = await transformBatch(event, { transform, reingester, logger, responseBudgetBytes: budget });
      return { response, reingester, counts, logger };
    }

    test('overflow records are answered Dropped and their original bytes re-ingested, within the budget', async () => {
      const event = okEvent();
      const full = await run(event, DEFAULT_RESPONSE_BUDGET_BYTES);
      const fullBytes = responseBytes(full.response);
      const budget = Math.floor(fullBytes * 0.6);
      const { response, reingester, counts, logger } = await run(event, budget);

      expect(responseBytes(response)).toBeLessThanOrEqual(budget);
      expect(counts.responseBytes).toBe(responseBytes(response));
      expect(response.records.map((r) => r.recordId)).toEqual(event.records.map((r) => r.recordId));
      const overflowed = response.records.flatMap((r, i) => (r.result === 'Dropped' ? [i] : []));
      expect(overflowed.length).toBeGreaterThan(0);
      expect(overflowed.length).toBeLessThan(10);
      expect(counts).toMatchObject({ overflow: overflowed.length, reingested: overflowed.length, ok: 10 - overflowed.length, dropped: overflowed.length });
      // The original bytes of exactly the overflowed records, in order.
      expect(reingester.records.map((r) => Buffer.from(r.data).toString('base64'))).toEqual(overflowed.map((i) => event.records[i]!.data));
      // The answers that fit are those of the unconstrained run.
      response.records.forEach((r, i) => {
        if (!overflowed.includes(i)) expect(r).toEqual(full.response.records[i]);
      });
      expect(logger.entries).toContainEqual({ level: 'warn', message: expect.stringContaining('exceed') as unknown, attributes: { overflow: overflowed.length, records: 10 } });
    });

    test('Kinesis source: overflow records keep their partition keys', async () => {
      const event = okEvent(true);
      const { response, reingester } = await run(event, Math.floor(responseBytes((await run(event, DEFAULT_RESPONSE_BUDGET_BYTES)).response) * 0.5));
      const overflowed = response.records.flatMap((r, i) => (r.result === 'Dropped' ? [i] : []));
      expect(reingester.records.map((r) => r.partitionKey)).toEqual(overflowed.map((i) => `pk-${i}`));
    });

    test('split parts and overflow records go to the reingester in one call, before the response', async () => {
      const event = firehoseEvent([
        firehoseRecord('split', `${clickstreamLine()}\n${clickstreamLine({ event_type: 'click' })}\n`),
        ...okEvent().records,
      ]);
      const { reingester, counts } = await run(event, Math.floor(responseBytes((await run(event, DEFAULT_RESPONSE_BUDGET_BYTES)).response) * 0.5));
      expect(reingester.calls).toHaveLength(1);
      expect(counts.reingested).toBe(2 + counts.overflow);
      expect(counts.overflow).toBeGreaterThan(0);
    });

    test('a budget below the all-Dropped floor is an error', async () => {
      await expect(run(okEvent(), 100)).rejects.toThrow(RangeError);
    });
  });

  describe('re-ingestion failure', () => {
    test('the reingester rejecting rejects the batch: no response is returned', async () => {
      const error = new ReingestError('delivery stream x', [], 6);
      const reingester = new RecordingReingester(error);
      await expect(transformBatch(mixedEvent(), { transform, reingester, logger: new RecordingLogger() })).rejects.toBe(error);
      expect(reingester.calls).toHaveLength(1);
    });

    test('an overflow that cannot be re-ingested rejects the batch', async () => {
      const event = firehoseEvent(Array.from({ length: 5 }, (_, i) => firehoseRecord(`r${i}`, clickstreamLine())));
      const reingester = new RecordingReingester(new Error('PutRecordBatch failed'));
      const floorish = 400; // room for the envelope and five Dropped answers, not for five Ok ones
      await expect(transformBatch(event, { transform, reingester, logger: new RecordingLogger(), responseBudgetBytes: floorish })).rejects.toThrow('PutRecordBatch failed');
      expect(reingester.records.length).toBeGreaterThan(0);
    });
  });

  test('a realistic ~3 MB batch: response under 6,000,000 bytes, overflow re-ingested, every row accounted for', async () => {
    const rows = generateClickstreamRows(19_000, { seed: 7 });
    const records = rows.map((r) => Buffer.from(formatCsvRows([r])));
    const [event] = buildTransformationEvents(records, { bufferSizeMb: 3 });
    expect(event).toBeDefined();
    const batch = event!;
    const inputBytes = batch.records.reduce((sum, r) => sum + Buffer.from(r.data, 'base64').byteLength, 0);
    expect(inputBytes).toBeGreaterThan(2.9 * 1024 * 1024);
    expect(inputBytes).toBeLessThanOrEqual(3 * 1024 * 1024);

    const reingester = new RecordingReingester();
    const { response, counts } = await transformBatch(batch, { transform, reingester, logger: new RecordingLogger() });

    const size = responseBytes(response);
    expect(size).toBeLessThanOrEqual(DEFAULT_RESPONSE_BUDGET_BYTES);
    expect(counts.responseBytes).toBe(size);
    expect(counts.overflow).toBeGreaterThan(0);
    expect(counts.processingFailed).toBe(0);
    expect(counts.split).toBe(0);

    // Every record answered once, in order; the overflowed ones are exactly those re-ingested.
    expect(response.records.map((r) => r.recordId)).toEqual(batch.records.map((r) => r.recordId));
    const overflowed = response.records.flatMap((r, i) => (r.result === 'Dropped' ? [i] : []));
    expect(overflowed).toHaveLength(counts.overflow);
    expect(reingester.records).toHaveLength(counts.overflow);
    expect(reingester.records.map((r) => Buffer.from(r.data).toString('base64'))).toEqual(overflowed.map((i) => batch.records[i]!.data));

    // Rows: delivered as JSON lines + re-ingested === input.
    const okLines = response.records
      .filter((r) => r.result === 'Ok')
      .reduce((sum, r) => sum + fromBase64(r.data).split('\n').filter((l) => l.length > 0).length, 0);
    const reingestedRows = reingester.records.reduce((sum, r) => sum + csvRowCount(r.data), 0);
    expect(okLines).toBe(counts.rowsOk);
    expect(okLines + reingestedRows).toBe(batch.records.length);
  });

  describe('properties', () => {
    const validCsv = fc
      .record({ seed: fc.integer({ min: 1, max: 100_000 }), count: fc.integer({ min: 1, max: 3 }) })
      .map(({ seed, count }) => Buffer.from(formatCsvRows(generateClickstreamRows(count, { seed }))).toString('base64'));
    const data = fc.oneof(
      { weight: 4, arbitrary: validCsv },
      { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => Buffer.from(s).toString('base64')) },
      { weight: 1, arbitrary: fc.string({ maxLength: 20 }) }, // not base64 at all
      { weight: 1, arbitrary: fc.constantFrom('', Buffer.from(' \n').toString('base64'), Buffer.from('\uFEFF').toString('base64')) },
    );
    const records = fc.array(data, { maxLength: 25 }).map((items) => items.map((d, i) => ({ recordId: `id-${i}-${d.length}`, approximateArrivalTimestamp: 0, data: d })));

    test('every recordId comes back exactly once, in order; results are valid; failures keep their data (property)', async () => {
      await fc.assert(
        fc.asyncProperty(records, async (recs) => {
          const event = firehoseEvent(recs);
          const reingester = new RecordingReingester();
          const { response, counts } = await transformBatch(event, { transform, reingester, logger: new RecordingLogger() });
          expect(response.records.map((r) => r.recordId)).toEqual(recs.map((r) => r.recordId));
          response.records.forEach((answer, i) => {
            expect(['Ok', 'Dropped', 'ProcessingFailed']).toContain(answer.result);
            if (answer.result === 'ProcessingFailed') expect(answer.data).toBe(recs[i]!.data);
            if (answer.result === 'Dropped') expect(answer).toEqual(droppedAnswer(answer.recordId));
            if (answer.result === 'Ok') {
              expect(answer.metadata?.partitionKeys).toEqual({ event_type: expect.any(String) as unknown, dt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) as unknown });
              expect(fromBase64(answer.data).endsWith('\n')).toBe(true);
            }
          });
          expect(counts.ok + counts.dropped + counts.processingFailed).toBe(recs.length);
        }),
        { numRuns: 300 },
      );
    });

    test('with any budget at or above the floor, the response fits and rows are conserved (property)', async () => {
      const onlyBase64 = fc.array(fc.oneof(validCsv, fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64'))), { minLength: 1, maxLength: 20 });
      await fc.assert(
        fc.asyncProperty(onlyBase64, fc.double({ min: 0, max: 1, noNaN: true }), async (items, share) => {
          const event = firehoseEvent(items.map((d, i) => firehoseRecord(`id-${i}`, d, { rawData: true })));
          const unlimitedReingester = new RecordingReingester();
          const unlimited = await transformBatch(event, { transform, reingester: unlimitedReingester, logger: new RecordingLogger() });
          const floor = responseBytes({ records: event.records.map((r) => droppedAnswer(r.recordId)) });
          const budget = Math.floor(floor + share * (responseBytes(unlimited.response) - floor));
          const reingester = new RecordingReingester();
          const { response, counts } = await transformBatch(event, { transform, reingester, logger: new RecordingLogger(), responseBudgetBytes: budget });
          expect(responseBytes(response)).toBeLessThanOrEqual(budget);
          // Rows are conserved: delivered now or re-ingested (as split parts or whole overflow records).
          const reingestedRows = (r: RecordingReingester): number => r.records.reduce((sum, rec) => sum + validRows(rec.data), 0);
          expect(counts.rowsOk + reingestedRows(reingester)).toBe(unlimited.counts.rowsOk + reingestedRows(unlimitedReingester));
        }),
        { numRuns: 150 },
      );
    });
  });
});

/** The rows of re-ingested data that the transform would deliver (Ok or split), else 0. */
function validRows(bytes: Uint8Array): number {
  const outcome = transform(Buffer.from(bytes).toString('base64'));
  return outcome.result === 'Ok' || outcome.result === 'Split' ? outcome.rows : 0;
}

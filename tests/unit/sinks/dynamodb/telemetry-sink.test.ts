import type { AttributeValue, BatchWriteItemCommandInput, WriteRequest } from '@aws-sdk/client-dynamodb';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { TelemetryDynamoDbSinkOptions } from '../../../../lib/sinks/dynamodb';
import { InvalidSinkOptionsError, TelemetryDynamoDbSink } from '../../../../lib/sinks/dynamodb';
import { addReadings, aggregateUpdate } from '../../../../lib/sinks/dynamodb/minute-aggregate';
import type { Reading } from '../../../../lib/telemetry/reading';
import { generatedReadings, items, reading, recordingSleep, resolvedCondition, sdkError, TABLES, updateClauses } from './support';

const dynamo = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

const NOW = Date.UTC(2026, 10, 26, 0, 0, 0);

function sink(options: Partial<TelemetryDynamoDbSinkOptions> = {}): { sink: TelemetryDynamoDbSink; waits: number[] } {
  const { sleep, waits } = recordingSleep();
  return { sink: new TelemetryDynamoDbSink({ client, tables: TABLES, maxAttempts: 3, sleep, now: () => NOW, ...options }), waits };
}

const batchWrites = (): BatchWriteItemCommandInput[] => dynamo.commandCalls(BatchWriteItemCommand).map((call) => call.args[0].input);
const putRequests = (input: BatchWriteItemCommandInput | undefined): Record<string, AttributeValue>[] =>
  (input?.RequestItems?.[TABLES.readings] ?? []).map((request) => request.PutRequest!.Item!);
const keyOf = (item: Record<string, AttributeValue>): string => `${item.device_id!.S}|${item.timestamp!.S}`;
const unprocessed = (itemsLeft: readonly Record<string, AttributeValue>[]): { UnprocessedItems: Record<string, WriteRequest[]> } => ({
  UnprocessedItems: { [TABLES.readings]: itemsLeft.map((Item) => ({ PutRequest: { Item } })) },
});

/** Item-level tests look at one table at a time: the others accept everything. */
beforeEach(() => {
  dynamo.reset();
  dynamo.on(BatchWriteItemCommand).resolves({});
  dynamo.on(PutItemCommand).resolves({});
  dynamo.on(BatchGetItemCommand).resolves({ Responses: { [TABLES.minuteAggregates]: [] } });
  dynamo.on(UpdateItemCommand).resolves({});
});

describe('TelemetryDynamoDbSink: readings (history)', () => {
  test('puts every reading with all its fields, once per key, and reports nothing failed', async () => {
    const readings = generatedReadings(10);
    const { failures, stats } = await sink().sink.write(items(readings));
    expect(failures).toEqual([]);
    const written = putRequests(batchWrites()[0]);
    expect(written.map(keyOf)).toEqual(readings.map((r) => `${r.device_id}|${r.timestamp}`));
    expect(Object.keys(written[0]!).sort()).toEqual(
      ['battery_pct', 'device_id', 'expires_at', 'firmware', 'humidity_pct', 'pressure_hpa', 'rssi_dbm', 'seq', 'status', 'temperature_c', 'timestamp'],
    );
    expect(stats).toMatchObject({ itemsReceived: 10, readingsWritten: 10, transientFailures: 0, permanentFailures: 0 });
  });

  test('chunks into requests of at most 25 puts', async () => {
    await sink().sink.write(items(generatedReadings(60)));
    expect(batchWrites().map((input) => putRequests(input).length)).toEqual([25, 25, 10]);
  });

  test('duplicate keys are sent once per request, keeping the newest (higher seq on the same instant)', async () => {
    const original = reading({ seq: 5, temperature_c: 20 });
    const resent = reading({ seq: 5, temperature_c: 20 });
    const conflicting = reading({ seq: 9, temperature_c: 30 });
    const other = reading({ timestamp: '2026-11-25T22:00:02.000Z', seq: 6 });
    const { failures, stats } = await sink().sink.write(items([original, conflicting, resent, other]));
    expect(failures).toEqual([]);
    const written = putRequests(batchWrites()[0]);
    expect(written).toHaveLength(2);
    expect(new Set(written.map(keyOf)).size).toBe(2);
    expect(written.find((item) => item.timestamp!.S === original.timestamp)).toMatchObject({ seq: { N: '9' }, temperature_c: { N: '30' } });
    expect(stats.duplicatesInBatch).toBe(2);
  });

  test('UnprocessedItems are resent alone, after a backoff wait, until written', async () => {
    const readings = generatedReadings(5);
    let call = 0;
    dynamo.on(BatchWriteItemCommand).callsFake((input: BatchWriteItemCommandInput) => {
      call++;
      const sent = putRequests(input);
      return Promise.resolve(call === 1 ? unprocessed([sent[1]!, sent[3]!]) : {});
    });
    const { sink: s, waits } = sink();
    const { failures, stats } = await s.write(items(readings));
    expect(failures).toEqual([]);
    const calls = batchWrites();
    expect(calls).toHaveLength(2);
    expect(putRequests(calls[1]).map(keyOf)).toEqual([1, 3].map((i) => `${readings[i]!.device_id}|${readings[i]!.timestamp}`));
    expect(waits).toHaveLength(1);
    expect(stats).toMatchObject({ readingsWritten: 5, unprocessedRetries: 2 });
  });

  test('still unprocessed after the last attempt: transient failures for exactly the refs they carry', async () => {
    const readings = generatedReadings(4);
    const stubborn = readings[2]!;
    dynamo.on(BatchWriteItemCommand).callsFake((input: BatchWriteItemCommandInput) =>
      Promise.resolve(unprocessed(putRequests(input).filter((item) => item.timestamp!.S === stubborn.timestamp))));
    // refs 10..13, plus ref 14 repeating the stubborn reading (a producer retry).
    const { failures } = await sink({ maxAttempts: 3 }).sink.write([...items(readings, 10), { ref: 14, value: stubborn }]);
    expect(batchWrites()).toHaveLength(3);
    expect(failures).toEqual([
      { ref: 12, kind: 'transient', code: 'UnprocessedItems', message: expect.stringContaining('3 attempt') as string },
      { ref: 14, kind: 'transient', code: 'UnprocessedItems', message: expect.stringContaining('3 attempt') as string },
    ]);
  });

  test('a throttled request is retried whole, then written', async () => {
    dynamo.on(BatchWriteItemCommand).rejectsOnce(sdkError('ProvisionedThroughputExceededException')).resolves({});
    const { sink: s, waits } = sink();
    const { failures, stats } = await s.write(items(generatedReadings(3)));
    expect(failures).toEqual([]);
    expect(batchWrites()).toHaveLength(2);
    expect(putRequests(batchWrites()[1])).toHaveLength(3);
    expect(waits).toHaveLength(1);
    expect(stats).toMatchObject({ throttledRequests: 1, readingsWritten: 3 });
  });

  test('throttled on every attempt: only that request’s readings fail, transient, with the error code', async () => {
    const readings = generatedReadings(30);
    const firstChunk = new Set(readings.slice(0, 25).map((r) => r.timestamp));
    dynamo.on(BatchWriteItemCommand).callsFake((input: BatchWriteItemCommandInput) =>
      firstChunk.has(putRequests(input)[0]!.timestamp!.S!) ? Promise.reject(sdkError('ThrottlingException')) : Promise.resolve({}));
    const { failures } = await sink({ maxAttempts: 2 }).sink.write(items(readings));
    expect(failures.map((f) => f.ref)).toEqual([...Array(25).keys()]);
    expect(new Set(failures.map((f) => `${f.kind}:${f.code}`))).toEqual(new Set(['transient:ThrottlingException']));
  });

  test('an item over 400 KB fails permanently and is written nowhere; the rest of the batch is written', async () => {
    const big = reading({ device_id: 'sensor-big', firmware: `1.0.${'7'.repeat(410_000)}` });
    const fine = reading();
    const { failures } = await sink().sink.write(items([fine, big]));
    expect(failures).toEqual([{ ref: 1, kind: 'permanent', code: 'ItemTooLarge', message: expect.stringContaining('400') as string }]);
    expect(putRequests(batchWrites()[0]).map((item) => item.device_id!.S)).toEqual(['sensor-0001']);
    expect(dynamo.commandCalls(PutItemCommand).map((call) => call.args[0].input.Item!.device_id!.S)).toEqual(['sensor-0001']);
    expect(dynamo.commandCalls(UpdateItemCommand).map((call) => call.args[0].input.Key!.device_id!.S)).toEqual(['sensor-0001']);
  });

  test('a request DynamoDB refuses as invalid is split to find the culprit: only it fails, permanently', async () => {
    const readings = generatedReadings(3);
    const culprit = readings[1]!;
    dynamo.on(BatchWriteItemCommand).callsFake((input: BatchWriteItemCommandInput) =>
      putRequests(input).some((item) => item.timestamp!.S === culprit.timestamp)
        ? Promise.reject(sdkError('ValidationException'))
        : Promise.resolve({}));
    const { failures, stats } = await sink().sink.write(items(readings));
    expect(failures).toEqual([{ ref: 1, kind: 'permanent', code: 'ValidationException', message: 'ValidationException happened' }]);
    expect(batchWrites().map((input) => putRequests(input).length)).toEqual([3, 1, 1, 1]);
    expect(stats.readingsWritten).toBe(2);
  });

  test('an error that is not about the values (no such table) is transient and not retried by the sink', async () => {
    dynamo.on(BatchWriteItemCommand).rejects(sdkError('ResourceNotFoundException'));
    const { failures } = await sink().sink.write(items(generatedReadings(2)));
    expect(failures.map((f) => [f.ref, f.kind, f.code])).toEqual([[0, 'transient', 'ResourceNotFoundException'], [1, 'transient', 'ResourceNotFoundException']]);
    expect(batchWrites()).toHaveLength(1);
  });

  test('an empty batch makes no request', async () => {
    expect((await sink().sink.write([])).failures).toEqual([]);
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('TelemetryDynamoDbSink: device state', () => {
  const at = (second: number, seq: number, device = 'sensor-0001'): Reading => reading({ device_id: device, timestamp: `2026-11-25T22:00:${String(second).padStart(2, '0')}.000Z`, seq });

  test('one conditional put per device, with its newest reading (by time, then seq)', async () => {
    const readings = [at(3, 3), at(9, 2), at(1, 1), at(5, 10, 'sensor-0002'), at(5, 11, 'sensor-0002'), at(4, 1, 'sensor-0002')];
    const { failures } = await sink().sink.write(items(readings));
    expect(failures).toEqual([]);
    const puts = dynamo.commandCalls(PutItemCommand).map((call) => call.args[0].input);
    expect(puts.map((input) => [input.TableName, input.Item!.device_id!.S, input.Item!.timestamp!.S, input.Item!.seq!.N])).toEqual([
      [TABLES.deviceState, 'sensor-0001', '2026-11-25T22:00:09.000Z', '2'],
      [TABLES.deviceState, 'sensor-0002', '2026-11-25T22:00:05.000Z', '11'],
    ]);
    const first = puts[0]!;
    expect(first.ConditionExpression).toBe('attribute_not_exists(#device) OR #ts < :ts OR (#ts = :ts AND #seq < :seq)');
    expect(first.ExpressionAttributeNames).toEqual({ '#device': 'device_id', '#ts': 'timestamp_ms', '#seq': 'seq' });
    expect(first.ExpressionAttributeValues).toEqual({ ':ts': { N: String(Date.UTC(2026, 10, 25, 22, 0, 9)) }, ':seq': { N: '2' } });
    expect(first.Item).toMatchObject({ timestamp_ms: { N: String(Date.UTC(2026, 10, 25, 22, 0, 9)) }, updated_at: { S: new Date(NOW).toISOString() } });
    expect(first.Item!.expires_at).toBeUndefined();
  });

  test('ConditionalCheckFailed (a newer or the same state is stored) is a success', async () => {
    dynamo.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    const { failures, stats } = await sink().sink.write(items([at(1, 1), at(2, 2, 'sensor-0002')]));
    expect(failures).toEqual([]);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(2);
    expect(stats).toMatchObject({ statesWritten: 0, stateConditionalNoOps: 2 });
  });

  test('throttled after the retries: transient failures for every reading of that device only', async () => {
    dynamo.on(PutItemCommand).callsFake((input: { Item: Record<string, AttributeValue> }) =>
      input.Item.device_id!.S === 'sensor-0002' ? Promise.reject(sdkError('ProvisionedThroughputExceededException')) : Promise.resolve({}));
    const { sink: s, waits } = sink({ maxAttempts: 3 });
    const { failures } = await s.write(items([at(1, 1), at(2, 2, 'sensor-0002'), at(3, 3, 'sensor-0002')]));
    expect(failures.map((f) => [f.ref, f.kind, f.code])).toEqual([[1, 'transient', 'ProvisionedThroughputExceededException'], [2, 'transient', 'ProvisionedThroughputExceededException']]);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(1 + 3);
    expect(waits).toHaveLength(2);
  });
});

describe('TelemetryDynamoDbSink: per-minute aggregates', () => {
  const key = { device_id: 'sensor-0001', minute: '2026-11-25T22:00Z' };
  const at = (second: number, temperature: number): Reading =>
    reading({ timestamp: `2026-11-25T22:00:${String(second).padStart(2, '0')}.000Z`, seq: second, temperature_c: temperature });

  /** The item a previous write of these readings left, at this version. */
  function storedItem(readings: readonly Reading[], version: number): Record<string, AttributeValue> {
    const next = addReadings(undefined, readings);
    const { input } = aggregateUpdate(TABLES.minuteAggregates, { key, next, added: [...next.members], expectedVersion: version - 1, expiresAt: 1, updatedAt: 'then' });
    const { set, add } = updateClauses(input);
    return { ...input.Key, ...set, ...add };
  }

  const updates = () => dynamo.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);

  test('a new aggregate: consistent read, then one update created only if absent', async () => {
    const { failures, stats } = await sink().sink.write(items([at(1, 20), at(2, 22.5), at(3, 21)]));
    expect(failures).toEqual([]);
    const read = dynamo.commandCalls(BatchGetItemCommand)[0]!.args[0].input.RequestItems![TABLES.minuteAggregates]!;
    expect(read).toEqual({ Keys: [{ device_id: { S: key.device_id }, minute: { S: key.minute } }], ConsistentRead: true });
    expect(updates()).toHaveLength(1);
    const { set, add } = updateClauses(updates()[0]);
    expect(set).toMatchObject({ count: { N: '3' }, temperature_c_sum: { N: '63.5' }, temperature_c_min: { N: '20' }, temperature_c_max: { N: '22.5' }, version: { N: '1' } });
    expect(add.readings!.SS!.sort()).toEqual(['01.000', '02.000', '03.000']);
    expect(resolvedCondition(updates()[0])).toBe('attribute_not_exists(device_id)');
    expect(stats).toMatchObject({ aggregatesWritten: 1, aggregateReadingsCounted: 3 });
  });

  test('readings the aggregate already counted are skipped; the rest are added to the stored values under its version', async () => {
    dynamo.on(BatchGetItemCommand).resolves({ Responses: { [TABLES.minuteAggregates]: [storedItem([at(1, 20), at(2, 22.5)], 4)] } });
    const { failures, stats } = await sink().sink.write(items([at(2, 22.5), at(3, 21), at(1, 20)]));
    expect(failures).toEqual([]);
    const { set, add } = updateClauses(updates()[0]);
    expect(add).toEqual({ readings: { SS: ['03.000'] } });
    expect(set).toMatchObject({ count: { N: '3' }, temperature_c_sum: { N: '63.5' }, temperature_c_min: { N: '20' }, version: { N: '5' } });
    expect(resolvedCondition(updates()[0])).toBe('version = {"N":"4"}');
    expect(stats).toMatchObject({ aggregateReadingsSkipped: 2, aggregateReadingsCounted: 1 });
  });

  test('nothing is written when every reading is already counted (a replay)', async () => {
    dynamo.on(BatchGetItemCommand).resolves({ Responses: { [TABLES.minuteAggregates]: [storedItem([at(1, 20), at(2, 22.5)], 1)] } });
    const { failures, stats } = await sink().sink.write(items([at(2, 22.5), at(1, 20), at(1, 20)]));
    expect(failures).toEqual([]);
    expect(updates()).toHaveLength(0);
    expect(stats).toMatchObject({ aggregateNoOps: 1, aggregatesWritten: 0 });
  });

  test('a conflict (another writer got there first): re-filters against the item returned with the error and writes again', async () => {
    // The other writer counted reading 2 (also in this batch) and reading 7 (not in it).
    const theirs = storedItem([at(2, 22.5), at(7, 30)], 1);
    dynamo.on(UpdateItemCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: theirs }))
      .resolves({});
    const { sink: s, waits } = sink();
    const { failures, stats } = await s.write(items([at(1, 20), at(2, 22.5)]));
    expect(failures).toEqual([]);
    expect(updates()).toHaveLength(2);
    const { set, add } = updateClauses(updates()[1]);
    expect(add).toEqual({ readings: { SS: ['01.000'] } });
    expect(set).toMatchObject({ count: { N: '3' }, temperature_c_sum: { N: '72.5' }, temperature_c_max: { N: '30' }, version: { N: '2' } });
    expect(resolvedCondition(updates()[1])).toBe('version = {"N":"1"}');
    expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(0);
    expect(waits).toHaveLength(1);
    expect(stats).toMatchObject({ aggregateConflicts: 1, aggregatesWritten: 1 });
  });

  test('a conflict without the item in the error: reads it again, consistently', async () => {
    dynamo.on(UpdateItemCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }))
      .resolves({});
    dynamo.on(GetItemCommand).resolves({ Item: storedItem([at(1, 20)], 3) });
    const { failures } = await sink().sink.write(items([at(1, 20), at(2, 22.5)]));
    expect(failures).toEqual([]);
    expect(dynamo.commandCalls(GetItemCommand)[0]!.args[0].input).toMatchObject({ TableName: TABLES.minuteAggregates, ConsistentRead: true });
    expect(updateClauses(updates()[1]).add).toEqual({ readings: { SS: ['02.000'] } });
    expect(resolvedCondition(updates()[1])).toBe('version = {"N":"3"}');
  });

  test('conflicts on every try: the uncounted readings fail transient (AggregateConflict) after the bounded retries', async () => {
    let version = 0;
    dynamo.on(UpdateItemCommand).callsFake(() => {
      version++;
      return Promise.reject(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: storedItem([at(9, 1)], version) }));
    });
    const { failures, stats } = await sink({ maxConflictRetries: 2 }).sink.write(items([at(1, 20), at(2, 22.5)]));
    expect(updates()).toHaveLength(3);
    expect(failures.map((f) => [f.ref, f.kind, f.code])).toEqual([[0, 'transient', 'AggregateConflict'], [1, 'transient', 'AggregateConflict']]);
    expect(stats.aggregateConflicts).toBe(3);
  });

  test('UnprocessedKeys are read again before writing', async () => {
    const keyItem = { device_id: { S: key.device_id }, minute: { S: key.minute } };
    dynamo.on(BatchGetItemCommand)
      .resolvesOnce({ Responses: { [TABLES.minuteAggregates]: [] }, UnprocessedKeys: { [TABLES.minuteAggregates]: { Keys: [keyItem], ConsistentRead: true } } })
      .resolves({ Responses: { [TABLES.minuteAggregates]: [storedItem([at(1, 20)], 1)] } });
    const { failures, stats } = await sink().sink.write(items([at(1, 20), at(2, 22.5)]));
    expect(failures).toEqual([]);
    expect(dynamo.commandCalls(BatchGetItemCommand)).toHaveLength(2);
    expect(updateClauses(updates()[0]).add).toEqual({ readings: { SS: ['02.000'] } });
    expect(stats.unprocessedRetries).toBe(1);
  });

  test('one update per device and minute; a failed one fails only its own readings', async () => {
    const nextMinute = reading({ timestamp: '2026-11-25T22:01:00.000Z', seq: 60 });
    dynamo.on(UpdateItemCommand).callsFake((input: { Key: Record<string, AttributeValue> }) =>
      input.Key.minute!.S === '2026-11-25T22:01Z' ? Promise.reject(sdkError('InternalServerError')) : Promise.resolve({}));
    const { failures } = await sink({ maxAttempts: 2 }).sink.write(items([at(1, 20), nextMinute, at(2, 22.5)]));
    expect(updates().map((input) => input.Key!.minute!.S).sort()).toEqual(['2026-11-25T22:00Z', '2026-11-25T22:01Z', '2026-11-25T22:01Z']);
    expect(failures.map((f) => [f.ref, f.kind, f.code])).toEqual([[1, 'transient', 'InternalServerError']]);
  });
});

describe('TelemetryDynamoDbSink: results', () => {
  test('a reading fails if any of its writes failed; others succeed', async () => {
    dynamo.on(PutItemCommand).rejects(sdkError('ThrottlingException'));
    const readings = [reading({ device_id: 'sensor-0001' }), reading({ device_id: 'sensor-0002' })];
    const { failures, stats } = await sink({ maxAttempts: 1 }).sink.write(items(readings));
    expect(failures.map((f) => f.ref)).toEqual([0, 1]);
    expect(batchWrites()).toHaveLength(1);
    expect(stats).toMatchObject({ readingsWritten: 2, aggregatesWritten: 2, transientFailures: 2 });
  });

  test('totals add up across calls', async () => {
    const { sink: s } = sink();
    await s.write(items(generatedReadings(3)));
    await s.write(items(generatedReadings(2)));
    expect(s.totalStats()).toMatchObject({ itemsReceived: 5, readingsWritten: 5 });
  });

  test('options are checked when the sink is made', () => {
    expect(() => new TelemetryDynamoDbSink({ client, tables: { ...TABLES, deviceState: '' } })).toThrow(InvalidSinkOptionsError);
    expect(() => new TelemetryDynamoDbSink({ client, tables: TABLES, maxAttempts: 0 })).toThrow(InvalidSinkOptionsError);
    expect(() => new TelemetryDynamoDbSink({ client, tables: TABLES, retentionDays: 1.5 })).toThrow(InvalidSinkOptionsError);
  });
});

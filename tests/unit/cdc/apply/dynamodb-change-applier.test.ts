import type { DeleteItemCommandInput, PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { ChangeEvent } from '../../../../lib/cdc/change-event';
import type { DynamoDbChangeApplierOptions } from '../../../../lib/cdc/apply';
import { DynamoDbChangeApplier, InvalidApplierOptionsError, PUT_IF_OLDER, DELETE_IF_OLDER, targetTableResolver } from '../../../../lib/cdc/apply';
import { asItems, commit, controlChange, customer, insert, remove, rowChange, sdkError, update } from './support';

const dynamodb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const NOW_MS = Date.UTC(2026, 10, 26, 0, 0, 0);

function applier(options: Partial<DynamoDbChangeApplierOptions> = {}): DynamoDbChangeApplier {
  return new DynamoDbChangeApplier({ client, targetTableOf: targetTableResolver({ prefix: 'test-' }), sleep: () => Promise.resolve(), now: () => NOW_MS, ...options });
}

const puts = (): PutItemCommandInput[] => dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input);
const deletes = (): DeleteItemCommandInput[] => dynamodb.commandCalls(DeleteItemCommand).map((c) => c.args[0].input);
const position = (at: number, sequence = 0): string => `${commit(at)}:${String(sequence).padStart(10, '0')}`;

beforeEach(() => {
  dynamodb.reset();
  dynamodb.on(PutItemCommand).resolves({});
  dynamodb.on(DeleteItemCommand).resolves({});
  dynamodb.on(ScanCommand).resolves({ Items: [] });
});

describe('DynamoDbChangeApplier: write shapes', () => {
  it('puts an insert as the full item, typed exactly, conditional on the stored item being absent or older', async () => {
    const { failures, stats } = await applier().write(asItems([insert('12345678901234567890', 3, { balance: '1234567890123.45', vip: true })]));
    expect(failures).toEqual([]);
    expect(puts()).toEqual([{
      TableName: 'test-shop-customers',
      Item: {
        customer_id: { N: '12345678901234567890' },
        email: { S: 'c12345678901234567890@example.com' },
        full_name: { S: 'Customer 12345678901234567890' },
        country: { S: 'FR' },
        balance: { N: '1234567890123.45' },
        vip: { BOOL: true },
        signed_up_at: { S: '2026-11-25T22:00:00.123456Z' },
        notes: { NULL: true },
        _cdc_position: { S: position(3) },
        _cdc_operation: { S: 'insert' },
        _cdc_commit_timestamp: { S: '2026-11-25T22:00:03.000Z' },
      },
      ConditionExpression: PUT_IF_OLDER,
      ExpressionAttributeNames: { '#hash': 'customer_id', '#position': '_cdc_position' },
      ExpressionAttributeValues: { ':position': { S: position(3) } },
    }]);
    expect(PUT_IF_OLDER).toBe('attribute_not_exists(#hash) OR #position < :position');
    expect(stats).toMatchObject({ changesReceived: 1, rowChanges: 1, writesPlanned: 1, itemsPut: 1, conditionalNoOps: 0 });
  });

  it('keys a two-column primary key as HASH and RANGE, integers as N', async () => {
    const line = rowChange({ table: 'order_lines', operation: 'load', at: 1, after: { order_id: 'c0a80101-0000-4000-8000-000000000001', line_no: 2, sku: 'SKU-1', quantity: 3, unit_price: '9.9900', note: null } });
    await applier().write(asItems([line]));
    const [put] = puts();
    expect(put?.TableName).toBe('test-shop-order_lines');
    expect(put?.Item).toMatchObject({ order_id: { S: 'c0a80101-0000-4000-8000-000000000001' }, line_no: { N: '2' }, quantity: { N: '3' }, unit_price: { N: '9.9900' }, _cdc_operation: { S: 'load' } });
    expect(put?.ExpressionAttributeNames).toEqual({ '#hash': 'order_id', '#position': '_cdc_position' });
  });

  it('removes a deleted row with a delete conditional on an older position (remove mode)', async () => {
    const { failures, stats } = await applier().write(asItems([remove(7, 9)]));
    expect(failures).toEqual([]);
    expect(deletes()).toEqual([{
      TableName: 'test-shop-customers',
      Key: { customer_id: { N: '7' } },
      ConditionExpression: DELETE_IF_OLDER,
      ExpressionAttributeNames: { '#position': '_cdc_position' },
      ExpressionAttributeValues: { ':position': { S: position(9) } },
    }]);
    expect(DELETE_IF_OLDER).toBe('#position < :position');
    expect(stats.itemsDeleted).toBe(1);
  });

  it('writes a tombstone with the delete position and a TTL in tombstone mode', async () => {
    const { stats } = await applier({ deletes: 'tombstone', tombstoneTtlSeconds: 3600 }).write(asItems([remove(7, 9)]));
    expect(deletes()).toEqual([]);
    expect(puts()).toEqual([{
      TableName: 'test-shop-customers',
      Item: {
        customer_id: { N: '7' },
        _cdc_deleted: { BOOL: true },
        _cdc_position: { S: position(9) },
        _cdc_operation: { S: 'delete' },
        _cdc_commit_timestamp: { S: '2026-11-25T22:00:09.000Z' },
        _cdc_expires_at: { N: String(NOW_MS / 1000 + 3600) },
      },
      ConditionExpression: PUT_IF_OLDER,
      ExpressionAttributeNames: { '#hash': 'customer_id', '#position': '_cdc_position' },
      ExpressionAttributeValues: { ':position': { S: position(9) } },
    }]);
    expect(stats.tombstonesWritten).toBe(1);
  });

  it('applies a primary-key update as a delete of the old key and a put of the new one', async () => {
    const change = rowChange({ operation: 'update', at: 5, before: { customer_id: '1' }, after: customer(2) });
    const { failures, stats } = await applier().write(asItems([change]));
    expect(failures).toEqual([]);
    expect(deletes().map((d) => [d.Key, d.ExpressionAttributeValues])).toEqual([[{ customer_id: { N: '1' } }, { ':position': { S: position(5) } }]]);
    expect(puts().map((p) => p.Item?.customer_id)).toEqual([{ N: '2' }]);
    expect(stats).toMatchObject({ writesPlanned: 2, itemsDeleted: 1, itemsPut: 1 });
  });

  it('treats an update whose before image has the same key (or none) as a plain put', async () => {
    await applier().write(asItems([update(1, 5), rowChange({ operation: 'update', at: 6, after: customer(2) })]));
    expect(deletes()).toEqual([]);
    expect(puts()).toHaveLength(2);
  });

  it('sees 12.50 and 12.5 as one numeric key', async () => {
    const line = (lineNo: string, at: number) => rowChange({ table: 'order_lines', operation: 'update', at, after: { order_id: 'o-1', line_no: lineNo, sku: 's', quantity: 1, unit_price: '1', note: null } });
    const { stats } = await applier().write(asItems([line('2', 1), line('2.0', 2)]));
    expect(stats).toMatchObject({ writesPlanned: 2, supersededInBatch: 1, itemsPut: 1 });
  });
});

describe('DynamoDbChangeApplier: monotonic', () => {
  it('counts a failed condition (the stored row is as new or newer) as a success', async () => {
    dynamodb.on(PutItemCommand).rejects(sdkError('ConditionalCheckFailedException'));
    dynamodb.on(DeleteItemCommand).rejects(sdkError('ConditionalCheckFailedException'));
    const { failures, stats } = await applier().write(asItems([insert(1, 3), remove(2, 4)]));
    expect(failures).toEqual([]);
    expect(stats).toMatchObject({ conditionalNoOps: 2, itemsPut: 0, itemsDeleted: 0, transientFailures: 0 });
  });

  it('sends only the newest write of each row: a delete then an insert becomes the insert', async () => {
    const { failures, stats } = await applier().write(asItems([insert(1, 1), remove(1, 2), insert(1, 3, { full_name: 'again' })]));
    expect(failures).toEqual([]);
    expect(deletes()).toEqual([]);
    expect(puts().map((p) => [p.Item?.full_name, p.ExpressionAttributeValues?.[':position']])).toEqual([[{ S: 'again' }, { S: position(3) }]]);
    expect(stats).toMatchObject({ writesPlanned: 3, supersededInBatch: 2 });
  });

  it('orders by position, not by arrival: an update arriving before the older insert still wins', async () => {
    await applier().write(asItems([update(1, 9, { full_name: 'newest' }), insert(1, 2), update(1, 5)]));
    expect(puts().map((p) => p.Item?.full_name)).toEqual([{ S: 'newest' }]);
  });

  it('collapses an insert then a delete to the delete, and keeps rows apart', async () => {
    await applier().write(asItems([insert(1, 1), insert(2, 2), remove(1, 3)]));
    expect(deletes().map((d) => d.Key)).toEqual([{ customer_id: { N: '1' } }]);
    expect(puts().map((p) => p.Item?.customer_id)).toEqual([{ N: '2' }]);
  });

  it('keeps the first of two writes at one position (a duplicate)', async () => {
    const { stats } = await applier().write(asItems([insert(1, 4, { full_name: 'first' }), insert(1, 4, { full_name: 'second' })]));
    expect(puts().map((p) => p.Item?.full_name)).toEqual([{ S: 'first' }]);
    expect(stats.supersededInBatch).toBe(1);
  });

  it('folds a primary-key update into the rows of both keys', async () => {
    // 1 → 2 at 5, then a new row 1 inserted at 6: key 1 ends as the insert, key 2 as the update.
    const moved = rowChange({ operation: 'update', at: 5, before: { customer_id: '1' }, after: customer(2, { full_name: 'moved' }) });
    await applier().write(asItems([insert(1, 1), moved, insert(1, 6, { full_name: 're-used' })]));
    expect(deletes()).toEqual([]);
    expect(puts().map((p) => [p.Item?.customer_id, p.Item?.full_name]).sort()).toEqual([[{ N: '1' }, { S: 're-used' }], [{ N: '2' }, { S: 'moved' }]].sort());
  });
});

describe('DynamoDbChangeApplier: failures', () => {
  it('retries throttling with backoff, then reports every change of the row as transient', async () => {
    const waits: number[] = [];
    dynamodb.on(PutItemCommand).rejects(sdkError('ProvisionedThroughputExceededException'));
    const { failures, stats } = await applier({ maxAttempts: 3, sleep: (ms) => { waits.push(ms); return Promise.resolve(); } }).write(asItems([insert(1, 1), update(1, 2), insert(2, 3)]));
    expect(failures).toEqual([
      { ref: 0, kind: 'transient', code: 'ProvisionedThroughputExceededException', message: expect.any(String) as string },
      { ref: 1, kind: 'transient', code: 'ProvisionedThroughputExceededException', message: expect.any(String) as string },
      { ref: 2, kind: 'transient', code: 'ProvisionedThroughputExceededException', message: expect.any(String) as string },
    ]);
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(6);
    expect(waits).toHaveLength(4);
    expect(stats).toMatchObject({ throttledRequests: 4, transientFailures: 3 });
  });

  it('recovers when throttling passes within the attempts', async () => {
    dynamodb.on(PutItemCommand).rejectsOnce(sdkError('ThrottlingException')).resolves({});
    const { failures, stats } = await applier().write(asItems([insert(1, 1)]));
    expect(failures).toEqual([]);
    expect(stats).toMatchObject({ throttledRequests: 1, itemsPut: 1 });
  });

  it('reports a 5xx after the retries as transient, and other rows still land', async () => {
    dynamodb.on(PutItemCommand).callsFake((input: PutItemCommandInput) => (input.Item?.customer_id?.N === '1' ? Promise.reject(sdkError('InternalServerError', { $fault: 'server' })) : Promise.resolve({})));
    const { failures, stats } = await applier({ maxAttempts: 2 }).write(asItems([insert(1, 1), insert(2, 2)]));
    expect(failures.map((f) => [f.ref, f.kind, f.code])).toEqual([[0, 'transient', 'InternalServerError']]);
    expect(stats.itemsPut).toBe(1);
  });

  it('rejects a value DynamoDB refuses as permanent and falls back to the row’s previous change', async () => {
    dynamodb.on(PutItemCommand).callsFake((input: PutItemCommandInput) => (input.Item?.full_name?.S === 'refused' ? Promise.reject(sdkError('ValidationException')) : Promise.resolve({})));
    const { failures, stats } = await applier().write(asItems([insert(1, 1, { full_name: 'good' }), update(1, 2, { full_name: 'refused' })]));
    expect(failures.map((f) => [f.ref, f.kind, f.code])).toEqual([[1, 'permanent', 'ValidationException']]);
    expect(puts().map((p) => p.Item?.full_name)).toEqual([{ S: 'refused' }, { S: 'good' }]);
    expect(stats).toMatchObject({ itemsPut: 1, permanentFailures: 1 });
  });

  it('rejects before sending: unknown table, missing key, a number DynamoDB cannot hold, too large, reserved names', async () => {
    const changes: ChangeEvent[] = [
      { ...insert(1, 1), table: 'unknown' },
      rowChange({ operation: 'insert', at: 2, after: { ...customer(2), customer_id: null } }),
      insert(3, 3, { balance: '1'.repeat(39) }),
      insert(4, 4, { notes: 'x'.repeat(400 * 1024) }),
      insert(5, 5, { _cdc_position: 'x' }),
      rowChange({ operation: 'delete', at: 6 }),
      insert(7, 7, { vip: 'yes' }),
      insert(8, 8, { balance: 'NaN' }),
      insert(9, 9),
    ];
    const { failures } = await applier().write(asItems(changes));
    expect(failures.map((f) => [f.ref, f.kind, f.code])).toEqual([
      [0, 'permanent', 'UnknownSourceTable'],
      [1, 'permanent', 'MissingKey'],
      [2, 'permanent', 'InvalidValue'],
      [3, 'permanent', 'ItemTooLarge'],
      [4, 'permanent', 'ReservedAttribute'],
      [5, 'permanent', 'MissingKey'],
      [6, 'permanent', 'InvalidValue'],
      [7, 'permanent', 'InvalidValue'],
    ]);
    expect(puts().map((p) => p.Item?.customer_id)).toEqual([{ N: '9' }]);
  });

  it('leaves a missing table as transient (not about the value)', async () => {
    dynamodb.on(PutItemCommand).rejects(sdkError('ResourceNotFoundException'));
    const { failures } = await applier().write(asItems([insert(1, 1)]));
    expect(failures).toEqual([{ ref: 0, kind: 'transient', code: 'ResourceNotFoundException', message: expect.any(String) as string }]);
  });

  it('refuses bad options', () => {
    expect(() => applier({ concurrency: 0 })).toThrow(InvalidApplierOptionsError);
    expect(() => applier({ deletes: 'purge' as 'remove' })).toThrow(InvalidApplierOptionsError);
  });
});

describe('DynamoDbChangeApplier: control changes', () => {
  it('truncates: deletes every stored item older than the truncate, conditionally, page by page', async () => {
    dynamodb.on(ScanCommand)
      .resolvesOnce({ Items: [{ customer_id: { N: '1' }, _cdc_position: { S: position(1) } }], LastEvaluatedKey: { customer_id: { N: '1' } } })
      .resolvesOnce({ Items: [{ customer_id: { N: '2' }, _cdc_position: { S: position(2) } }, { customer_id: { N: '3' }, _cdc_position: { S: position(3) } }] });
    dynamodb.on(DeleteItemCommand, { Key: { customer_id: { N: '3' } } }).rejects(sdkError('ConditionalCheckFailedException'));
    const reports: unknown[] = [];
    const { failures, stats } = await applier({ onControlChange: (r) => reports.push(r) }).write(asItems([controlChange('truncate', 10)]));
    expect(failures).toEqual([]);
    const scans = dynamodb.commandCalls(ScanCommand).map((c) => c.args[0].input);
    expect(scans[0]).toMatchObject({
      TableName: 'test-shop-customers',
      ConsistentRead: true,
      ProjectionExpression: '#k0, #position',
      FilterExpression: '#position < :position',
      ExpressionAttributeNames: { '#k0': 'customer_id', '#position': '_cdc_position' },
      ExpressionAttributeValues: { ':position': { S: position(10) } },
    });
    expect(scans[1]?.ExclusiveStartKey).toEqual({ customer_id: { N: '1' } });
    expect(deletes().map((d) => [d.Key, d.ConditionExpression, d.ExpressionAttributeValues])).toEqual(
      ['1', '2', '3'].map((id) => [{ customer_id: { N: id } }, DELETE_IF_OLDER, { ':position': { S: position(10) } }]),
    );
    expect(stats).toMatchObject({ truncates: 1, truncatedItems: 2, itemsDeleted: 2, conditionalNoOps: 1 });
    expect(reports).toEqual([expect.objectContaining({ action: 'truncated', targetTable: 'test-shop-customers', items: 2 })]);
  });

  it('folds a truncate into the batch: older rows become deletes (tombstones), newer rows survive', async () => {
    const { failures } = await applier({ deletes: 'tombstone' }).write(asItems([insert(1, 1), controlChange('truncate', 5), insert(2, 6)]));
    expect(failures).toEqual([]);
    const written = puts().map((p) => [p.Item?.customer_id, p.Item?._cdc_deleted, p.Item?._cdc_operation, p.ExpressionAttributeValues?.[':position']]);
    expect(written.sort()).toEqual([
      [{ N: '1' }, { BOOL: true }, { S: 'truncate' }, { S: position(5) }],
      [{ N: '2' }, undefined, { S: 'insert' }, { S: position(6) }],
    ].sort());
  });

  it('reports a truncate whose scan keeps failing as transient', async () => {
    dynamodb.on(ScanCommand).rejects(sdkError('ThrottlingException'));
    const { failures } = await applier({ maxAttempts: 2 }).write(asItems([insert(1, 1), controlChange('truncate', 5)]));
    expect(failures).toEqual([{ ref: 1, kind: 'transient', code: 'ThrottlingException', message: expect.stringContaining('truncate scan') as string }]);
  });

  it('counts create-table and drop-table, applies nothing, and says so', async () => {
    const reports: unknown[] = [];
    const { failures, stats } = await applier({ onControlChange: (r) => reports.push(r) }).write(asItems([controlChange('create-table', 1), controlChange('drop-table', 2, 'unknown')]));
    expect(failures).toEqual([]);
    expect(dynamodb.calls()).toHaveLength(0);
    expect(stats).toMatchObject({ controlChanges: 2, controlIgnored: 2 });
    expect(reports).toEqual([expect.objectContaining({ action: 'ignored' }), expect.objectContaining({ action: 'ignored' })]);
  });

  it('accumulates totals across calls', async () => {
    const sink = applier();
    await sink.write(asItems([insert(1, 1)]));
    await sink.write(asItems([insert(2, 2), remove(3, 3)]));
    expect(sink.totalStats()).toMatchObject({ changesReceived: 3, itemsPut: 2, itemsDeleted: 1 });
  });
});

describe('DynamoDbChangeApplier: items', () => {
  it('writes a known column the after image leaves out as NULL (DMS omits NULL columns by default), and keeps unknown columns by their JS type', async () => {
    const after = { ...customer(5), added_later: 7, flag: true } as Record<string, string | number | boolean | null>;
    delete after.notes;
    delete after.country;
    await applier().write(asItems([rowChange({ operation: 'insert', at: 1, after })]));
    expect(puts()[0]?.Item).toMatchObject({ notes: { NULL: true }, country: { NULL: true }, added_later: { N: '7' }, flag: { BOOL: true } });
  });
});

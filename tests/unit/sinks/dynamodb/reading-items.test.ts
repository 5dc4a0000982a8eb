import { MAX_ITEM_BYTES } from '../../../../lib/sinks/dynamodb/item-size';
import { deviceStateItem, dynamoNumber, prepareReadingItem } from '../../../../lib/sinks/dynamodb/reading-items';
import { reading } from './support';

describe('reading items', () => {
  test('the history item holds every schema field, the normalised timestamp as sort key, and a TTL from the reading time', () => {
    const r = reading({ timestamp: '2026-11-25T23:00:01.25+01:00', pressure_hpa: null });
    const prepared = prepareReadingItem(r, 30);
    expect(prepared).toEqual({
      ok: true,
      bytes: expect.any(Number) as number,
      item: {
        device_id: { S: 'sensor-0001' },
        timestamp: { S: '2026-11-25T22:00:01.250Z' },
        seq: { N: '1' },
        temperature_c: { N: '21.5' },
        humidity_pct: { N: '40.1' },
        pressure_hpa: { NULL: true },
        battery_pct: { N: '88.8' },
        rssi_dbm: { N: '-60' },
        status: { S: 'ok' },
        firmware: { S: '1.4.2' },
        expires_at: { N: String(Math.floor(Date.UTC(2026, 10, 25, 22, 0, 1) / 1000) + 30 * 86_400) },
      },
    });
  });

  test('the same reading always makes the same item (whatever the clock)', () => {
    expect(prepareReadingItem(reading(), 7)).toEqual(prepareReadingItem(reading(), 7));
  });

  test('the state item drops the TTL and adds the numeric timestamp and the write time', () => {
    const r = reading();
    const prepared = prepareReadingItem(r, 30);
    if (!prepared.ok) throw new Error('expected a storable reading');
    const state = deviceStateItem(prepared.item, r, '2026-11-26T00:00:00.000Z');
    expect(state.expires_at).toBeUndefined();
    expect(state.timestamp_ms).toEqual({ N: String(r.timestampMs) });
    expect(state.updated_at).toEqual({ S: '2026-11-26T00:00:00.000Z' });
    expect(prepared.item.expires_at).toBeDefined();
  });

  test('an item over 400 KB is refused before any request (ItemTooLarge)', () => {
    const big = reading({ firmware: `1.0.${'9'.repeat(MAX_ITEM_BYTES)}` });
    expect(prepareReadingItem(big, 30)).toMatchObject({ ok: false, code: 'ItemTooLarge' });
    const fits = reading({ firmware: `1.0.${'9'.repeat(MAX_ITEM_BYTES - 400)}` });
    expect(prepareReadingItem(fits, 30)).toMatchObject({ ok: true });
  });

  test('a number DynamoDB cannot hold is refused (NumberOutOfRange), zero and small values are kept', () => {
    expect(dynamoNumber(1e-131)).toBeUndefined();
    expect(dynamoNumber(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(dynamoNumber(1e-7)).toBe('1e-7');
    expect(dynamoNumber(-0)).toBe('0');
    expect(prepareReadingItem(reading({ temperature_c: 1e-200 }), 30)).toMatchObject({ ok: false, code: 'NumberOutOfRange' });
  });

  test('a value of the wrong type is refused (InvalidValue)', () => {
    const wrong = { ...reading(), humidity_pct: '40' } as unknown as ReturnType<typeof reading>;
    expect(prepareReadingItem(wrong, 30)).toMatchObject({ ok: false, code: 'InvalidValue' });
  });
});

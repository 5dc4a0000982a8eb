/**
 * The telemetry sink against DynamoDB Local: what at-least-once delivery throws at it (replays,
 * producer duplicates, shuffled order, late readings, two consumers racing on one aggregate)
 * must leave the tables exactly as one clean pass of the unique readings would.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { generateTelemetry, TELEMETRY_START_MS } from '../../../lib/datasets/telemetry';
import { seededRandom } from '../../../lib/datasets/random';
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from '../../../lib/local/emulators';
import type { TelemetryTables } from '../../../lib/sinks/dynamodb';
import { TELEMETRY_TABLE_KEYS, TelemetryDynamoDbSink } from '../../../lib/sinks/dynamodb';
import type { Reading } from '../../../lib/telemetry/reading';
import { parseReading, readingMinute } from '../../../lib/telemetry/reading';
import { useEmulators } from '../../support/emulators';
import { scanAll } from '../../../lib/aws/scan-all';

const emulators = useEmulators({ services: ['dynamodb'] });
const NO_WAIT = (): Promise<void> => Promise.resolve();

let tableCount = 0;
async function createTables(client: DynamoDBClient): Promise<TelemetryTables> {
  const run = ++tableCount;
  const tables: TelemetryTables = { readings: `readings-${run}`, deviceState: `device-state-${run}`, minuteAggregates: `minute-aggregates-${run}` };
  for (const kind of ['readings', 'deviceState', 'minuteAggregates'] as const) {
    const { KeySchema, AttributeDefinitions } = TELEMETRY_TABLE_KEYS[kind];
    await client.send(new CreateTableCommand({ TableName: tables[kind], KeySchema: [...KeySchema], AttributeDefinitions: [...AttributeDefinitions], BillingMode: 'PAY_PER_REQUEST' }));
  }
  return tables;
}

function toReading(raw: unknown): Reading {
  const result = parseReading(Buffer.from(JSON.stringify(raw)));
  if (!result.ok) throw new Error(`generated reading is invalid: ${JSON.stringify(result.error)}`);
  return result.reading;
}

/** Readings of a small fleet over about a minute and a half, starting mid-minute (so minutes are split across batches). */
const fleetReadings = (count: number, devices: number): Reading[] =>
  [...generateTelemetry(count, { devices, startMs: TELEMETRY_START_MS + 30_000, seed: 11 })].map(toReading);

/** Writes `readings` as a consumer would, in batches, and expects every one to succeed. */
async function writeInBatches(sink: TelemetryDynamoDbSink, readings: readonly Reading[], batchSize: number): Promise<void> {
  for (let i = 0; i < readings.length; i += batchSize) {
    const { failures } = await sink.write(readings.slice(i, i + batchSize).map((value, j) => ({ ref: i + j, value })));
    expect(failures).toEqual([]);
  }
}

function shuffled<T>(values: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const copy = [...values];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Hundredths as a plain decimal text, as DynamoDB returns a number (`-12.5`, `1000`). */
function hundredths(cents: bigint): string {
  const negative = cents < 0n;
  const digits = (negative ? -cents : cents).toString().padStart(3, '0');
  const text = `${digits.slice(0, -2)}.${digits.slice(-2)}`.replace(/\.?0+$/, '');
  return `${negative ? '-' : ''}${text}`;
}

/** An aggregate computed from scratch from the unique readings, with integer arithmetic (the generator rounds to ≤ 2 decimals). */
function expectedAggregate(readings: readonly Reading[]): Record<string, string | number> {
  const expected: Record<string, string | number> = {
    count: readings.length,
    first_timestamp: readings.map((r) => r.timestamp).sort()[0]!,
    last_timestamp: readings.map((r) => r.timestamp).sort().at(-1)!,
  };
  for (const metric of ['temperature_c', 'humidity_pct', 'pressure_hpa', 'battery_pct', 'rssi_dbm'] as const) {
    const values = readings.map((r) => r[metric]).filter((v): v is number => v !== null);
    if (metric === 'pressure_hpa') expected.pressure_hpa_count = values.length;
    if (values.length === 0) continue;
    expected[`${metric}_sum`] = hundredths(values.reduce((sum, v) => sum + BigInt(Math.round(v * 100)), 0n));
    expected[`${metric}_min`] = Math.min(...values);
    expected[`${metric}_max`] = Math.max(...values);
  }
  for (const status of ['ok', 'warning', 'fault']) expected[`status_${status}`] = readings.filter((r) => r.status === status).length;
  return expected;
}

function storedAggregate(item: Record<string, AttributeValue>): Record<string, string | number> {
  const stored: Record<string, string | number> = { count: Number(item.count!.N), first_timestamp: item.first_timestamp!.S!, last_timestamp: item.last_timestamp!.S! };
  for (const [name, value] of Object.entries(item)) {
    if (/_(min|max|count)$/.test(name) && value.N !== undefined) stored[name] = Number(value.N);
    if (name.endsWith('_sum')) stored[name] = value.N!;
  }
  for (const [status, value] of Object.entries(item.status_counts!.M!)) stored[`status_${status}`] = Number(value.N);
  return stored;
}

/** Every aggregate in the table equals the one computed from scratch, and there is one per (device, minute) of the readings. */
async function expectExactAggregates(client: DynamoDBClient, table: string, unique: readonly Reading[]): Promise<void> {
  const byGroup = new Map<string, Reading[]>();
  for (const r of unique) {
    const key = `${r.device_id}|${readingMinute(r)}`;
    byGroup.set(key, [...(byGroup.get(key) ?? []), r]);
  }
  const items = await scanAll(client, table);
  expect(items.map((item) => `${item.device_id!.S}|${item.minute!.S}`).sort()).toEqual([...byGroup.keys()].sort());
  for (const item of items) {
    const readings = byGroup.get(`${item.device_id!.S}|${item.minute!.S}`)!;
    expect(storedAggregate(item)).toEqual(expectedAggregate(readings));
    expect(item.readings!.SS).toHaveLength(readings.length);
  }
}

describe('TelemetryDynamoDbSink on DynamoDB Local', () => {
  test('replays, duplicates, shuffled order and late readings leave exactly the unique readings, the newest states and exact aggregates', async () => {
    const client = emulators().clients.dynamodb();
    const tables = await createTables(client);
    const sink = new TelemetryDynamoDbSink({ client, tables, sleep: NO_WAIT, now: () => Date.UTC(2026, 10, 26) });
    const unique = fleetReadings(600, 8);

    await writeInBatches(sink, unique, 100);
    const firstPass = sink.totalStats();
    expect(firstPass).toMatchObject({ readingsWritten: 600, aggregateReadingsCounted: 600, transientFailures: 0, permanentFailures: 0 });

    // Lambda retries the same batches (a crash after writing, before checkpointing).
    await writeInBatches(sink, unique, 100);
    // Producer retries: every fifth reading twice, all shuffled, in other batch boundaries.
    const noisy = shuffled([...unique, ...unique.filter((_, i) => i % 5 === 0)], 3);
    await writeInBatches(sink, noisy, 73);
    // A late, older reading of each device after its newest.
    const oldest = [...new Map(unique.map((r) => [r.device_id, r] as const)).keys()].map((device) => unique.find((r) => r.device_id === device)!);
    await writeInBatches(sink, oldest, 100);

    const totals = sink.totalStats();
    expect(totals.aggregateReadingsCounted).toBe(600);
    expect(totals.aggregatesWritten).toBe(firstPass.aggregatesWritten);
    expect(totals.statesWritten).toBe(firstPass.statesWritten);
    expect(totals.duplicatesInBatch).toBeGreaterThan(0);

    const history = await scanAll(client, tables.readings);
    expect(history).toHaveLength(unique.length);
    const stored = new Map(history.map((item) => [`${item.device_id!.S}|${item.timestamp!.S}`, item]));
    for (const r of unique) {
      expect(stored.get(`${r.device_id}|${r.timestamp}`)).toMatchObject({ seq: { N: String(r.seq) }, temperature_c: { N: String(r.temperature_c) }, status: { S: r.status } });
    }

    const states = await scanAll(client, tables.deviceState);
    const newest = new Map<string, Reading>();
    for (const r of unique) if ((newest.get(r.device_id)?.timestampMs ?? -1) < r.timestampMs) newest.set(r.device_id, r);
    expect(states).toHaveLength(newest.size);
    for (const state of states) {
      const expected = newest.get(state.device_id!.S!)!;
      expect([state.timestamp!.S, state.seq!.N, state.timestamp_ms!.N]).toEqual([expected.timestamp, String(expected.seq), String(expected.timestampMs)]);
    }

    await expectExactAggregates(client, tables.minuteAggregates, unique);
  }, 120_000);

  test('two consumers writing the same aggregates at once still end exact (version conflicts resolved)', async () => {
    const { endpoints } = emulators();
    const client = emulators().clients.dynamodb();
    const tables = await createTables(client);
    const unique = fleetReadings(240, 2);

    // Deterministic conflicts: consumer B reads the aggregates, then A writes them, then B's
    // updates go out with expectations that are no longer true.
    let bHasRead: () => void = () => undefined;
    let aHasWritten: () => void = () => undefined;
    const bRead = new Promise<void>((resolve) => (bHasRead = resolve));
    const aWrote = new Promise<void>((resolve) => (aHasWritten = resolve));
    const clientB = new DynamoDBClient({ region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS, endpoint: endpoints.dynamodb });
    let firstRead = true;
    clientB.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'UpdateItemCommand') await aWrote;
      const result = await next(args);
      if (context.commandName === 'BatchGetItemCommand' && firstRead) {
        firstRead = false;
        bHasRead();
      }
      return result;
    }, { step: 'initialize', name: 'orderTheRace' });

    try {
      const sinkA = new TelemetryDynamoDbSink({ client, tables, sleep: NO_WAIT });
      const sinkB = new TelemetryDynamoDbSink({ client: clientB, tables, sleep: NO_WAIT, maxConflictRetries: 50 });
      // A creates the first minute's aggregates (readings 0–39: 22:00:30–22:00:50).
      await writeInBatches(sinkA, unique.slice(0, 40), 40);
      expect(sinkB.totalStats().aggregateConflicts).toBe(0);
      // Then, ordered as above: B (readings 20–119) reads 22:00 at version 1 and no 22:01; A
      // (readings 40–139) updates 22:00 and creates 22:01; B's updates then meet a newer version
      // and an item that now exists. The middle readings go to both.
      await Promise.all([
        bRead.then(() => writeInBatches(sinkA, unique.slice(40, 140), 100)).then(() => aHasWritten()),
        writeInBatches(sinkB, shuffled(unique.slice(20, 120), 5), 100),
      ]);
      expect(sinkB.totalStats().aggregateConflicts).toBeGreaterThanOrEqual(2);

      // Then both race freely with small batches over everything (readings 140–239 are new).
      await Promise.all([writeInBatches(sinkA, shuffled(unique, 7), 9), writeInBatches(sinkB, shuffled(unique, 8), 11)]);

      const counted = sinkA.totalStats().aggregateReadingsCounted + sinkB.totalStats().aggregateReadingsCounted;
      expect(counted).toBe(unique.length);
      await expectExactAggregates(client, tables.minuteAggregates, unique);
      expect(await scanAll(client, tables.readings)).toHaveLength(unique.length);
    } finally {
      bHasRead();
      aHasWritten();
      clientB.destroy();
    }
  }, 120_000);
});

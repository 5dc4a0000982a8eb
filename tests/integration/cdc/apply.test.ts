/**
 * The change applier against DynamoDB Local: what the stream throws at it (duplicates,
 * redeliveries, any order, batches cut anywhere) must leave the tables exactly as one clean pass
 * in commit order does — in `tombstone` mode, strictly; and `remove` mode's one documented gap.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { scanAll } from '../../../lib/aws/scan-all';
import type { DeleteMode } from '../../../lib/cdc/apply';
import { DynamoDbChangeApplier, sourceTableSpecs, targetKeyDefinition, targetTableResolver } from '../../../lib/cdc/apply';
import type { ChangeEvent, RowChange, RowImage } from '../../../lib/cdc/change-event';
import { positionKey } from '../../../lib/cdc/change-event';
import { shopTables } from '../../../lib/cdc/source-tables';
import { seededRandom } from '../../../lib/datasets/random';
import { shopHistory } from '../../../lib/cdc/replay';
import { useEmulators } from '../../support/emulators';

const emulators = useEmulators({ services: ['dynamodb'] });
const NOW_MS = Date.UTC(2026, 10, 26);
const TABLES = [...shopTables.tables.keys()];

let run = 0;
/** Fresh target tables for the three source tables, under a new prefix. */
async function createTargets(client: DynamoDBClient): Promise<(table: string) => string> {
  const prefix = `apply-${++run}-`;
  const of = targetTableResolver({ prefix });
  for (const table of TABLES) {
    const { KeySchema, AttributeDefinitions } = targetKeyDefinition(sourceTableSpecs('shop', table)!);
    await client.send(new CreateTableCommand({ TableName: of('shop', table), KeySchema: [...KeySchema], AttributeDefinitions: [...AttributeDefinitions], BillingMode: 'PAY_PER_REQUEST' }));
  }
  return (table) => of('shop', table);
}

function makeApplier(client: DynamoDBClient, prefix: (table: string) => string, deletes: DeleteMode): DynamoDbChangeApplier {
  return new DynamoDbChangeApplier({ client, targetTableOf: (_schema, table) => prefix(table), deletes, now: () => NOW_MS, sleep: () => Promise.resolve() });
}

async function applyInBatches(applier: DynamoDbChangeApplier, changes: readonly ChangeEvent[], batchSizes: () => number): Promise<void> {
  for (let i = 0; i < changes.length;) {
    const size = batchSizes();
    const { failures } = await applier.write(changes.slice(i, i + size).map((value, j) => ({ ref: i + j, value })));
    expect(failures).toEqual([]);
    i += size;
  }
}

/** Every target table's items, in a stable order, for comparing two runs. */
async function snapshot(client: DynamoDBClient, prefix: (table: string) => string): Promise<Record<string, Record<string, AttributeValue>[]>> {
  const tables: Record<string, Record<string, AttributeValue>[]> = {};
  for (const table of TABLES) {
    const spec = sourceTableSpecs('shop', table)!;
    const keyOf = (item: Record<string, AttributeValue>): string => JSON.stringify(spec.keyColumns.map((c) => item[c]));
    tables[table] = (await scanAll(client, prefix(table))).sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  }
  return tables;
}

function shuffled<T>(values: readonly T[], random: () => number): T[] {
  const copy = [...values];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

const commitOf = (n: number): string => n.toString(16).toUpperCase().padStart(16, '0');

/** The live rows a snapshot holds (tombstones skipped), as `table:key` → item without the `_cdc_*` attributes. */
function liveRows(tables: Record<string, Record<string, AttributeValue>[]>): Map<string, Record<string, AttributeValue>> {
  const rows = new Map<string, Record<string, AttributeValue>>();
  for (const [table, items] of Object.entries(tables)) {
    const spec = sourceTableSpecs('shop', table)!;
    for (const item of items) {
      if (item._cdc_deleted?.BOOL) continue;
      const data = Object.fromEntries(Object.entries(item).filter(([name]) => !name.startsWith('_cdc_')));
      rows.set(`${table}:${spec.keyColumns.map((c) => item[c]?.S ?? item[c]?.N).join('/')}`, data);
    }
  }
  return rows;
}

/** A row image as DynamoDB returns it (numbers without trailing zeros). */
function asStored(image: RowImage, table: string): Record<string, AttributeValue> {
  const spec = sourceTableSpecs('shop', table)!;
  return Object.fromEntries(Object.entries(image).map(([column, value]): [string, AttributeValue] => {
    if (value === null) return [column, { NULL: true }];
    if (typeof value === 'boolean') return [column, { BOOL: value }];
    const numeric = /^(bigint|integer|numeric)/.test(spec.columnTypes[column] ?? '');
    return [column, numeric ? { N: String(value).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '') } : { S: String(value) }];
  }));
}

describe('DynamoDbChangeApplier on DynamoDB Local', () => {
  it('ends in the same tables from a clean pass and from a shuffled, duplicated, re-batched replay (tombstone mode)', async () => {
    const client = emulators().clients.dynamodb();
    const { changes, rows: source } = shopHistory({ seed: 7, transactions: 400 });
    expect(changes.filter((c) => c.table === 'customers' && c.operation === 'update' && c.before?.customer_id !== c.after?.customer_id).length).toBeGreaterThan(5);
    expect(changes.filter((c) => c.operation === 'delete').length).toBeGreaterThan(10);
    const live = new Map([...source].flatMap(([table, images]) => [...images].map(([key, image]) => [`${table}:${key}`, image] as const)));

    const clean = await createTargets(client);
    await applyInBatches(makeApplier(client, clean, 'tombstone'), changes, () => 25);
    const expected = await snapshot(client, clean);

    // The clean pass holds exactly the live rows of the source.
    const rows = liveRows(expected);
    expect([...rows.keys()].sort()).toEqual([...live.keys()].sort());
    for (const [key, image] of live) expect(rows.get(key)).toEqual(asStored(image, key.split(':')[0]!));

    // Every change two or three times, in random order, in batches of random size.
    const random = seededRandom(99);
    const replay = shuffled(changes.flatMap((c) => (random() < 0.5 ? [c, c] : [c, c, c])), random);
    const replayed = await createTargets(client);
    const applier = makeApplier(client, replayed, 'tombstone');
    await applyInBatches(applier, replay, () => 1 + Math.floor(random() * 60));
    expect(await snapshot(client, replayed)).toEqual(expected);
    const totals = applier.totalStats();
    expect(totals.conditionalNoOps + totals.supersededInBatch).toBeGreaterThan(changes.length);

    // And applying the whole history again on top changes nothing.
    await applyInBatches(applier, shuffled(changes, random), () => 40);
    expect(await snapshot(client, replayed)).toEqual(expected);
  }, 120_000);

  it('keeps a deleted row deleted when an older insert is redelivered after the delete (tombstone mode)', async () => {
    const client = emulators().clients.dynamodb();
    const targets = await createTargets(client);
    const applier = makeApplier(client, targets, 'tombstone');
    const insert: RowChange = { kind: 'row', operation: 'insert', schema: 'shop', table: 'customers', after: { customer_id: '42', email: 'a@b.c', full_name: 'A', country: 'FR', balance: '1.00', vip: false, signed_up_at: '2026-11-25T22:00:00.000000Z', notes: null }, before: undefined, keyColumns: undefined, position: { commit: commitOf(10), sequence: 0 }, transactionId: '1', commitTimestamp: undefined };
    const remove: RowChange = { ...insert, operation: 'delete', after: undefined, before: { customer_id: '42' }, position: { commit: commitOf(11), sequence: 0 } };
    await applyInBatches(applier, [insert], () => 1);
    await applyInBatches(applier, [remove], () => 1);
    await applyInBatches(applier, [insert], () => 1);
    const [item] = await scanAll(client, targets('customers'));
    expect(item).toEqual({
      customer_id: { N: '42' },
      _cdc_deleted: { BOOL: true },
      _cdc_position: { S: positionKey(remove.position) },
      _cdc_operation: { S: 'delete' },
      _cdc_expires_at: { N: String(NOW_MS / 1000 + 8 * 86_400) },
    });
    expect(applier.totalStats()).toMatchObject({ itemsPut: 1, tombstonesWritten: 1, conditionalNoOps: 1 });

    // remove mode's documented gap: the same sequence re-creates the row (until the delete is redelivered).
    const loose = await createTargets(client);
    const removing = makeApplier(client, loose, 'remove');
    for (const change of [insert, remove, insert]) await applyInBatches(removing, [change], () => 1);
    expect(await scanAll(client, loose('customers'))).toHaveLength(1);
    await applyInBatches(removing, [remove], () => 1);
    expect(await scanAll(client, loose('customers'))).toHaveLength(0);
  }, 60_000);

  it('leaves the old key alone in a primary-key update when a newer change already owns it', async () => {
    const client = emulators().clients.dynamodb();
    const targets = await createTargets(client);
    const applier = makeApplier(client, targets, 'remove');
    const row = (id: string, name: string): RowImage => ({ customer_id: id, email: 'a@b.c', full_name: name, country: null, balance: '0', vip: false, signed_up_at: '2026-11-25T22:00:00.000000Z', notes: null });
    const at = (n: number) => ({ commit: commitOf(n), sequence: 0 });
    const base = { kind: 'row' as const, schema: 'shop', table: 'customers', keyColumns: undefined, transactionId: undefined, commitTimestamp: undefined };
    // 1 moves to 2 at 20; a new row 1 is inserted at 21 — and arrives first.
    await applyInBatches(applier, [{ ...base, operation: 'insert', after: row('1', 'new one'), before: undefined, position: at(21) }], () => 1);
    await applyInBatches(applier, [{ ...base, operation: 'update', after: row('2', 'moved'), before: { customer_id: '1' }, position: at(20) }], () => 1);
    const items = await scanAll(client, targets('customers'));
    expect(items.map((i) => [i.customer_id?.N, i.full_name?.S]).sort()).toEqual([['1', 'new one'], ['2', 'moved']]);
  }, 60_000);

  it('truncates: older items go, a newer row survives, and the batch’s own older rows go too', async () => {
    const client = emulators().clients.dynamodb();
    const targets = await createTargets(client);
    const applier = makeApplier(client, targets, 'remove');
    const { changes } = shopHistory({ seed: 3, transactions: 80 });
    const customers = changes.filter((c) => c.table === 'customers');
    await applyInBatches(applier, customers, () => 30);
    expect((await scanAll(client, targets('customers'))).length).toBeGreaterThan(5);
    const truncate: ChangeEvent = { kind: 'control', operation: 'truncate', schema: 'shop', table: 'customers', position: { commit: '2026-12-01T00:00:00.000000Z', sequence: 0 }, transactionId: undefined, commitTimestamp: undefined };
    const newer: RowChange = { ...customers[0]!, operation: 'insert', after: { ...customers[0]!.after, customer_id: '999999' }, position: { commit: '2026-12-01T00:00:00.000001Z', sequence: 0 } };
    const older: RowChange = { ...customers[0]!, operation: 'insert', after: { ...customers[0]!.after, customer_id: '888888' }, position: { commit: '2026-11-30T23:59:59.999999Z', sequence: 0 } };
    const { failures, stats } = await applier.write([newer, truncate, older].map((value, ref) => ({ ref, value })));
    expect(failures).toEqual([]);
    expect(stats.truncatedItems).toBeGreaterThan(5);
    expect((await scanAll(client, targets('customers'))).map((i) => i.customer_id?.N)).toEqual(['999999']);
  }, 60_000);
});

/**
 * CDC throughput, two stages, each beside a baseline measured in the same run:
 * - capture: change events/s streamed out of PostgreSQL's logical replication (pgoutput, decoded,
 *   typed, assembled per transaction) into an in-memory sink, catching up on a backlog of WAL;
 *   baseline: the rate the same workload was committed at (what a live capture must keep up with);
 * - replay: the captured changes applied into DynamoDB Local by the conditional, monotonic
 *   applier, beside a plain `BatchWriteItem` load of the same number of rows into the same tables.
 */
import { BatchWriteItemCommand, CreateTableCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, BatchWriteItemCommandOutput, WriteRequest } from '@aws-sdk/client-dynamodb';
import pg from 'pg';
import { CdcCapture, MemorySink } from '../../lib/cdc/capture';
import type { ChangeEvent, RowChange } from '../../lib/cdc/change-event';
import { DynamoDbChangeApplier, sourceTableSpecs, targetKeyDefinition } from '../../lib/cdc/apply';
import { createSourceSchema, runShopWorkload, tablesOf } from '../../lib/cdc/workload';
import { startEmulators } from '../../lib/local/emulators';
import { startPostgres } from '../../lib/local/emulators/postgres';
import type { BenchResult } from '../harness';
import { result } from '../harness';

const TRANSACTIONS = 1_500;

async function captureChanges(): Promise<{ changes: ChangeEvent[]; captureRate: number; commitRate: number }> {
  const postgres = await startPostgres();
  const client = new pg.Client(postgres.connection);
  try {
    await client.connect();
    await createSourceSchema(client);
    // Create the slot (no full load), stop, commit a backlog, then time the catch-up.
    const first = new CdcCapture({ connection: postgres.connection, sink: new MemorySink({ keep: false }), tables: tablesOf(), fullLoad: false });
    await first.start();
    await first.stop();
    let started = performance.now();
    const workload = await runShopWorkload(client, { transactions: TRANSACTIONS, seed: 4 });
    const commitRate = workload.changes / ((performance.now() - started) / 1000);
    const sink = new MemorySink();
    const capture = new CdcCapture({ connection: postgres.connection, sink, tables: tablesOf(), fullLoad: false });
    started = performance.now();
    await capture.start();
    await capture.waitUntilCaughtUp({ timeoutMs: 300_000 });
    const elapsed = (performance.now() - started) / 1000;
    await capture.stop();
    return { changes: sink.changes, captureRate: sink.count / elapsed, commitRate };
  } finally {
    await client.end().catch(() => undefined);
    await postgres.stop();
  }
}

async function replay(changes: readonly ChangeEvent[]): Promise<{ applyRate: number; batchRate: number }> {
  const emulators = await startEmulators({ services: ['dynamodb'] });
  try {
    const dynamodb = emulators.clients.dynamodb();
    const tableOf = (prefix: string, schema: string, table: string): string => `${prefix}${schema}-${table}`;
    for (const prefix of ['apply-', 'plain-']) {
      for (const table of tablesOf()) {
        const key = targetKeyDefinition(sourceTableSpecs(table.schema, table.table)!);
        await dynamodb.send(new CreateTableCommand({ TableName: tableOf(prefix, table.schema, table.table), BillingMode: 'PAY_PER_REQUEST', KeySchema: [...key.KeySchema], AttributeDefinitions: [...key.AttributeDefinitions] }));
      }
    }
    const applier = new DynamoDbChangeApplier({ client: dynamodb, targetTableOf: (schema, table) => tableOf('apply-', schema, table) });
    let started = performance.now();
    for (let i = 0; i < changes.length; i += 500) {
      const { failures } = await applier.write(changes.slice(i, i + 500).map((value, ref) => ({ ref, value })));
      if (failures.length > 0) throw new Error(`replay failed: ${failures[0]!.code} ${failures[0]!.message}`);
    }
    const applyRate = changes.length / ((performance.now() - started) / 1000);
    // Baseline: the same number of rows as plain puts, 25 per BatchWriteItem, no conditions.
    const rows = changes.filter((c): c is RowChange => c.kind === 'row' && c.after !== undefined);
    const requests = rows.map((change): [string, WriteRequest] => [tableOf('plain-', change.schema, change.table), {
      PutRequest: { Item: Object.fromEntries(Object.entries(change.after!).map(([k, v]): [string, AttributeValue] => [k, v === null ? { NULL: true } : typeof v === 'boolean' ? { BOOL: v } : typeof v === 'number' ? { N: String(v) } : { S: v }])) },
    }]);
    started = performance.now();
    for (let i = 0; i < requests.length; i += 25) {
      const chunk = requests.slice(i, i + 25);
      // One request per table and key at most: DynamoDB refuses duplicate keys in a batch.
      const byTable = new Map<string, WriteRequest[]>();
      for (const [table, request] of chunk) byTable.set(table, [...(byTable.get(table) ?? []), request]);
      let pending: Record<string, WriteRequest[]> | undefined = Object.fromEntries(byTable);
      while (pending && Object.keys(pending).length > 0) {
        const out: BatchWriteItemCommandOutput = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: pending }));
        pending = out.UnprocessedItems;
      }
    }
    const batchRate = requests.length / ((performance.now() - started) / 1000);
    return { applyRate, batchRate };
  } finally {
    await emulators.stop();
  }
}

export async function cdcSuite(): Promise<BenchResult[]> {
  const { changes, captureRate, commitRate } = await captureChanges();
  const { applyRate, batchRate } = await replay(changes);
  return [
    result(`cdc: capture catch-up (pgoutput → change events), events/s × the workload's commit rate (${changes.length} changes)`, captureRate, 'events/s', commitRate),
    result('cdc: replay into DynamoDB Local (conditional, monotonic), events/s × plain BatchWriteItem of the same rows', applyRate, 'events/s', batchRate),
  ];
}

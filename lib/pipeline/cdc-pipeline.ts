/**
 * The CDC part of the main job, and the proof of the issue: a random workload on a real
 * PostgreSQL (inserts, updates, deletes, multi-row and rolled-back transactions, primary-key
 * updates, NULLs, numerics, timestamps with zones, unicode) is captured DMS-style (full load, then
 * ongoing changes through logical replication) into the CDC stream as DMS Kinesis JSON, part of
 * it is put again (duplicates, as a restarted task re-sends), cdc-replay applies it into DynamoDB
 * through serverless.yml's event source mapping, and every row of every table is compared.
 */
import { performance } from 'node:perf_hooks';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import pg from 'pg';
import { scanAll } from '../aws/scan-all';
import { CdcCapture, KinesisSink } from '../cdc/capture';
import type { CaptureStats } from '../cdc/capture';
import type { RowDifference } from '../cdc/proof/compare-tables';
import { compareTable } from '../cdc/proof/compare-tables';
import { createSourceSchema, readSourceRows, runShopWorkload, tablesOf } from '../cdc/workload';
import type { WorkloadResult } from '../cdc/workload';
import { readStream } from '../kinesis/producer/read-back';
import { startPostgres } from '../local/emulators/postgres';
import type { LocalRuntime } from '../local/runtime';
import type { KinesisMappingStats } from '../local/esm/kinesis-event-source';

export interface CdcPipelineOptions {
  /** Transactions before the capture starts (captured by the full load). */
  readonly initialTransactions: number;
  /** Transactions while the capture streams (captured as changes). */
  readonly transactions: number;
  readonly seed: number;
  /** Every n-th record of the stream is put again (0: none). */
  readonly duplicateEvery: number;
  readonly onProgress?: (event: { phase: 'capture' | 'replay'; done: number; total: number }) => void;
}

export interface CdcReport {
  readonly workload: { readonly before: WorkloadResult; readonly during: WorkloadResult };
  readonly capture: CaptureStats;
  readonly streamRecords: number;
  readonly duplicates: number;
  readonly mapping: KinesisMappingStats;
  readonly tables: readonly { readonly table: string; readonly sourceRows: number; readonly targetItems: number; readonly differences: number }[];
  /** The first differences (at most 20). */
  readonly differences: readonly RowDifference[];
  readonly seconds: number;
  readonly problems: readonly string[];
}

const FUNCTION = 'cdcReplay';

export async function runCdcPipeline(runtime: LocalRuntime, options: CdcPipelineOptions): Promise<CdcReport> {
  const mapping = runtime.mappings.kinesis.find((m) => runtime.functions.keyOf(m.config.functionArn) === FUNCTION);
  if (!mapping) throw new Error(`serverless.yml declares no Kinesis event source for ${FUNCTION}`);
  const environment = (runtime.service.functions?.[FUNCTION] as { environment?: Record<string, unknown> } | undefined)?.environment ?? {};
  const prefix = environment.CDC_TARGET_TABLE_PREFIX;
  if (typeof prefix !== 'string') throw new Error(`serverless.yml: functions.${FUNCTION}.environment.CDC_TARGET_TABLE_PREFIX must be a literal string`);
  const stream = { streamName: mapping.config.streamName };
  const kinesis = runtime.clients.kinesis();

  const postgres = await startPostgres();
  const client = new pg.Client(postgres.connection);
  let capture: CdcCapture | undefined;
  try {
    const started = performance.now();
    await client.connect();
    await createSourceSchema(client);
    const before = await runShopWorkload(client, { transactions: options.initialTransactions, seed: options.seed });
    const sink = new KinesisSink({ client: kinesis, streamName: stream.streamName });
    capture = new CdcCapture({ connection: postgres.connection, sink, tables: tablesOf() });
    await capture.start();
    const during = await runShopWorkload(client, {
      transactions: options.transactions, seed: options.seed + 1,
      onTransaction: (done) => options.onProgress?.({ phase: 'capture', done, total: options.transactions }),
    });
    await capture.waitUntilCaughtUp({ timeoutMs: 300_000 });
    const stats = await capture.stop();
    capture = undefined;
    const produced = await sink.close();
    if (produced.userRecordsFailed > 0) throw new Error(`${produced.userRecordsFailed} CDC records could not be written to the stream`);

    // Duplicates at the stream level: every n-th record put again, as a restarted task would.
    const records = (await readStream(kinesis, stream)).flatMap((shard) => shard.userRecords);
    const again = options.duplicateEvery > 0 ? records.filter((_, i) => i % options.duplicateEvery === 0) : [];
    for (let i = 0; i < again.length; i += 500) {
      const out = await kinesis.send(new PutRecordsCommand({ StreamName: stream.streamName, Records: again.slice(i, i + 500).map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })) }));
      if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} duplicate records could not be put`);
    }

    const total = records.length + again.length;
    const ticker = setInterval(() => options.onProgress?.({ phase: 'replay', done: Math.min(total, mapping.stats.recordsProcessed), total }), 500);
    try {
      await runtime.settle();
    } finally {
      clearInterval(ticker);
    }
    options.onProgress?.({ phase: 'replay', done: total, total });

    // The proof: every table, row by row.
    const tables: { table: string; sourceRows: number; targetItems: number; differences: number }[] = [];
    const differences: RowDifference[] = [];
    for (const table of tablesOf()) {
      const sourceRows = await readSourceRows(client, table);
      const targetItems = await scanAll(runtime.clients.dynamodb(), `${prefix}${table.schema}-${table.table}`);
      const found = compareTable(table, sourceRows, targetItems);
      differences.push(...found);
      tables.push({ table: `${table.schema}.${table.table}`, sourceRows: sourceRows.length, targetItems: targetItems.filter((item) => item._cdc_deleted?.BOOL !== true).length, differences: found.length });
    }
    const problems = [
      ...(differences.length > 0 ? [`${differences.length} differences between PostgreSQL and DynamoDB, first: ${JSON.stringify(differences[0])}`] : []),
      ...(mapping.stats.recordsDiscarded > 0 ? [`${mapping.stats.recordsDiscarded} CDC records discarded after retries`] : []),
    ];
    return {
      workload: { before, during }, capture: stats, streamRecords: records.length, duplicates: again.length, mapping: { ...mapping.stats },
      tables, differences: differences.slice(0, 20), seconds: (performance.now() - started) / 1000, problems,
    };
  } finally {
    await capture?.stop().catch(() => undefined);
    await client.end().catch(() => undefined);
    await postgres.stop();
  }
}

/**
 * The main job, offline: clickstream CSV → local Firehose (PutRecordBatch) → CSV→JSON transform
 * → S3 raw/ (GZIP NDJSON, partitioned) → S3 notification → json-to-parquet → S3 curated/
 * (Parquet), on the embedded emulators with serverless.yml's settings. It then takes stock of
 * the bucket and proves that every input row is in the Parquet output or in a failure output.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { DuckDBInstance } from '@duckdb/node-api';
import { chunkByCountAndBytes } from '../aws/chunk';
import { sendWithPartialRetry } from '../aws/partial-retry';
import { generateClickstreamRows } from '../datasets/clickstream';
import { FIREHOSE_BATCH_LIMITS } from '../firehose/reingest';
import { startLocalRuntime } from '../local/runtime';
import type { LocalRuntime } from '../local/runtime';
import type { InjectedBadRecords } from './clickstream-records';
import { countLines, toFirehoseRecords } from './clickstream-records';
import { objectsUnder } from './s3-objects';

export interface PipelineOptions {
  readonly rows: number;
  readonly seed: number;
  readonly badEvery: number;
  readonly linesPerRecord: number;
  readonly mixedRecords?: boolean;
  /** Where the curated Parquet files are copied for the DuckDB proof query. */
  readonly out: string;
  readonly onProgress?: (event: { phase: 'put' | 'settle'; done: number; total: number }) => void;
  /** Run the functions through `serverless offline`'s Lambda endpoint instead of in-process. */
  readonly viaServerlessOffline?: boolean;
}

export interface ZoneStock {
  readonly objects: number;
  /** Rows (data zones), error records (processing-failed) or bad lines (curated-errors). */
  readonly items: number;
  readonly bytes: number;
}

export interface PipelineReport {
  readonly bucket: string;
  readonly records: number;
  readonly rowsIn: number;
  readonly bytesIn: number;
  readonly injected: InjectedBadRecords;
  readonly raw: ZoneStock;
  readonly processingFailed: ZoneStock & { readonly rows: number };
  readonly curated: ZoneStock;
  readonly curatedErrors: ZoneStock;
  readonly firehose: { readonly invocations: number; readonly ok: number; readonly dropped: number; readonly failed: Readonly<Record<string, number>> };
  readonly failedNotifications: number;
  readonly seconds: number;
  /** The DuckDB proof query over the Parquet output: rows and revenue per event type. */
  readonly byEventType: readonly { readonly event_type: string; readonly rows: number; readonly revenue: number }[];
  /** Empty when every row is accounted for. */
  readonly problems: readonly string[];
}

const unzip = (o: { key: string; body: Buffer }): Buffer => (o.key.endsWith('.gz') ? gunzipSync(o.body) : o.body);

/** Runs the clickstream half on `runtime` (left running), or on a runtime of its own (stopped at the end). */
export async function runClickstreamPipeline(options: PipelineOptions, shared?: LocalRuntime): Promise<PipelineReport> {
  const runtime = shared ?? await startLocalRuntime(options.viaServerlessOffline ? { invokeVia: 'serverless-offline' } : {});
  try {
    const [stream] = runtime.deliveryStreams.values();
    if (!stream) throw new Error('serverless.yml declares no Firehose delivery stream');
    const bucket = stream.config.bucket;
    const s3 = runtime.clients.s3();
    const input = toFirehoseRecords(generateClickstreamRows(options.rows, { seed: options.seed }), options);
    const started = performance.now();

    // Producer side: PutRecordBatch within AWS's limits, resending only failed entries.
    const firehose = new FirehoseClient({ region: 'eu-west-1', endpoint: runtime.firehoseEndpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    let put = 0;
    for (const batch of chunkByCountAndBytes(input.records, FIREHOSE_BATCH_LIMITS.maxRecords, FIREHOSE_BATCH_LIMITS.maxBytes, (r) => r.length)) {
      const report = await sendWithPartialRetry(batch, async (entries) => {
        const out = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: stream.config.name, Records: entries.map((Data) => ({ Data })) }));
        return entries.flatMap((entry, i) => (out.RequestResponses?.[i]?.ErrorCode ? [{ entry, errorCode: out.RequestResponses[i].ErrorCode }] : []));
      }, { maxAttempts: 5 });
      if (report.failed.length > 0) throw new Error(`${report.failed.length} records could not be put: ${report.failed[0]!.errorCode}`);
      put += batch.length;
      options.onProgress?.({ phase: 'put', done: put, total: input.records.length });
    }
    firehose.destroy();
    options.onProgress?.({ phase: 'settle', done: 0, total: 1 });
    await runtime.settle();
    options.onProgress?.({ phase: 'settle', done: 1, total: 1 });
    const seconds = (performance.now() - started) / 1000;

    // Stock-taking: what each zone of the bucket holds.
    const raw = await objectsUnder(s3, bucket, 'raw/');
    const failed = await objectsUnder(s3, bucket, 'processing-failed/');
    const curated = await objectsUnder(s3, bucket, 'curated/');
    const curatedErrors = await objectsUnder(s3, bucket, 'curated-errors/');
    const failedRecords = failed.flatMap((o) => unzip(o).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { rawData: string }));
    const rowsInFailed = failedRecords.reduce((sum, r) => sum + countLines(Buffer.from(r.rawData, 'base64')), 0);
    const badLines = curatedErrors.reduce((sum, o) => sum + countLines(o.body), 0);

    // The proof: read the Parquet output back with DuckDB.
    await rm(options.out, { recursive: true, force: true });
    for (const object of curated) {
      const file = join(options.out, object.key);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, object.body);
    }
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    let byEventType: { event_type: string; rows: number; revenue: number }[] = [];
    if (curated.length > 0) {
      const glob = join(options.out, 'curated', '**', '*.parquet').replaceAll("'", "''");
      const result = await connection.runAndReadAll(
        `SELECT event_type, count(*)::INTEGER AS rows, coalesce(round(sum(revenue), 2), 0)::DOUBLE AS revenue FROM read_parquet('${glob}', hive_partitioning = true) GROUP BY ALL ORDER BY event_type`,
      );
      byEventType = result.getRowObjectsJS() as { event_type: string; rows: number; revenue: number }[];
    }
    connection.closeSync();
    instance.closeSync();
    const parquetRows = byEventType.reduce((sum, r) => sum + r.rows, 0);
    const rawRows = raw.reduce((sum, o) => sum + countLines(unzip(o)), 0);

    const expectedFailed = input.injected.wrongColumnCount + input.injected.invalidValue;
    const failedNotifications = runtime.notifications.reduce((sum, w) => sum + w.failed.length, 0);
    const problems = [
      input.rows === parquetRows + badLines + rowsInFailed ? '' : `rows in (${input.rows}) ≠ Parquet rows (${parquetRows}) + bad lines (${badLines}) + rows in processing-failed (${rowsInFailed})`,
      rawRows === parquetRows + badLines ? '' : `raw rows (${rawRows}) ≠ Parquet rows (${parquetRows}) + bad lines (${badLines})`,
      failedRecords.length === expectedFailed ? '' : `processing-failed records (${failedRecords.length}) ≠ injected bad records (${expectedFailed})`,
      failedNotifications === 0 ? '' : `${failedNotifications} S3 notifications failed after retries`,
      curated.length === raw.length ? '' : `curated objects (${curated.length}) ≠ raw objects (${raw.length})`,
    ].filter(Boolean);
    const stats = stream.stats;
    const stock = (objects: { body: Buffer }[], items: number): ZoneStock => ({ objects: objects.length, items, bytes: objects.reduce((sum, o) => sum + o.body.length, 0) });
    return {
      bucket, records: input.records.length, rowsIn: input.rows, bytesIn: input.records.reduce((sum, r) => sum + r.length, 0), injected: input.injected,
      raw: stock(raw, rawRows),
      processingFailed: { ...stock(failed, failedRecords.length), rows: rowsInFailed },
      curated: stock(curated, parquetRows),
      curatedErrors: stock(curatedErrors, badLines),
      firehose: { invocations: stats.invocations, ok: stats.ok, dropped: stats.dropped, failed: stats.failed },
      failedNotifications, seconds, byEventType, problems,
    };
  } finally {
    if (!shared) await runtime.stop();
  }
}

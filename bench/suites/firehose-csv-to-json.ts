/**
 * CSV→JSON through the Firehose transform handler on a 3 MB batch (Firehose's largest Lambda
 * buffer) of clickstream rows, in MB/s of CSV input, beside a floor on the same data: base64
 * decode + JSON.stringify of the already-typed rows + base64 encode — the work no transform can
 * avoid.
 */
import type { Context } from 'aws-lambda';
import { createHandler } from '../../functions/firehose-csv-to-json';
import { generateClickstreamRows } from '../../lib/datasets/clickstream';
import { compileRowDecoder } from '../../lib/formats/csv/row-decoder';
import type { Row } from '../../lib/formats/csv/row-decoder';
import { formatCsvRows } from '../../lib/formats/csv/csv-rows';
import { createLogger, createMetrics } from '../../lib/observability/powertools';
import { buildTransformationEvents } from '../../lib/local/firehose/transformation-events';
import { getSchema } from '../../lib/schemas/registry';
import type { BenchResult } from '../harness';
import { result, timeAgainst } from '../harness';

const ROWS_PER_RECORD = 3;
const BATCH_BYTES = 3 * 1024 * 1024;

/** Records of 3 rows each, rows grouped by event type so each record is one partition. */
function clickstreamRecords(): { records: Buffer[]; rows: string[][][] } {
  const rows = generateClickstreamRows(20_000, { seed: 1 });
  const byType = new Map<string, string[][]>();
  for (const row of rows) byType.set(row[3]!, [...(byType.get(row[3]!) ?? []), row]);
  const records: Buffer[] = [];
  const recordRows: string[][][] = [];
  let bytes = 0;
  outer: for (const group of byType.values()) {
    for (let i = 0; i + ROWS_PER_RECORD <= group.length; i += ROWS_PER_RECORD) {
      const chunk = group.slice(i, i + ROWS_PER_RECORD);
      const data = Buffer.from(formatCsvRows(chunk));
      if (bytes + data.length > BATCH_BYTES) break outer;
      records.push(data);
      recordRows.push(chunk);
      bytes += data.length;
    }
  }
  return { records, rows: recordRows };
}

export async function firehoseCsvToJsonSuite(): Promise<BenchResult[]> {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  const { records, rows } = clickstreamRecords();
  const [event, ...rest] = buildTransformationEvents(records, { bufferSizeMb: 3 });
  if (!event || rest.length > 0) throw new Error('expected exactly one 3 MB event');
  const csvBytes = records.reduce((sum, r) => sum + r.length, 0);
  const mb = csvBytes / 1e6;

  // The handler as deployed, with overflow re-ingestion stubbed (a 3 MB batch overflows 6 MB).
  const logger = createLogger('bench');
  let reingested = 0;
  const handler = createHandler({
    logger, metrics: createMetrics('bench'),
    reingesterFor: () => ({ reingest: (r) => { reingested = r.length; return Promise.resolve(); } }),
  });
  const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

  // The floor: typed rows prebuilt once, then only decode + stringify + encode per run.
  const decode = compileRowDecoder(getSchema('clickstream'));
  const typed: Row[][] = rows.map((group) => group.map((fields) => {
    const decoded = decode(fields);
    if (!decoded.ok) throw new Error(decoded.error.reason);
    return decoded.row;
  }));
  const floor = (): void => {
    event.records.forEach((record, i) => {
      Buffer.from(record.data, 'base64').toString('utf8');
      let json = '';
      for (const row of typed[i]!) json += JSON.stringify(row) + '\n';
      Buffer.from(json).toString('base64');
    });
  };
  const { subject: handlerTiming, baseline: floorTiming } = await timeAgainst(() => handler(event, context), floor);

  const handlerMbs = mb / (handlerTiming.medianMs / 1000);
  const floorMbs = mb / (floorTiming.medianMs / 1000);
  console.error(`  firehose-csv-to-json: ${event.records.length} records, ${rows.length * ROWS_PER_RECORD} rows, ${mb.toFixed(2)} MB CSV; ${reingested} records re-ingested as overflow`);
  return [
    result('firehose-csv-to-json: handler, 3 MB batch (median)', handlerMbs, 'MB/s', floorMbs),
    result('firehose-csv-to-json: handler, 3 MB batch (best)', mb / (handlerTiming.bestMs / 1000), 'MB/s', mb / (floorTiming.bestMs / 1000)),
    result('firehose-csv-to-json: floor (base64 + JSON.stringify + base64, median)', floorMbs, 'MB/s'),
    result('firehose-csv-to-json: handler time per 3 MB batch (median)', handlerTiming.medianMs, 'ms', floorTiming.medianMs),
  ];
}

/**
 * The main job end to end on the embedded emulators, at a small size: every input row is in the
 * Parquet output or in a failure output, counted independently (DuckDB reads the Parquet).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateClickstreamRows } from '../../lib/datasets/clickstream';
import { runClickstreamPipeline } from '../../lib/pipeline/clickstream-pipeline';

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'shardline-e2e-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

it('accounts for every row: Parquet, bad lines, or processing-failed', async () => {
  const report = await runClickstreamPipeline({ rows: 3000, seed: 7, badEvery: 40, linesPerRecord: 3, out });
  expect(report.problems).toEqual([]);
  const injectedBad = report.injected.wrongColumnCount + report.injected.invalidValue;
  expect(injectedBad).toBeGreaterThan(0);
  expect(report.curated.items).toBe(3000);
  expect(report.processingFailed.items).toBe(injectedBad);
  expect(report.rowsIn).toBe(report.curated.items + report.curatedErrors.items + report.processingFailed.rows);
  // DuckDB's per-type counts and revenue over the Parquet equal those of the generated input.
  const expected = new Map<string, { rows: number; revenue: number }>();
  for (const row of generateClickstreamRows(3000, { seed: 7 })) {
    const entry = expected.get(row[3]!) ?? { rows: 0, revenue: 0 };
    entry.rows++;
    entry.revenue += row[10] ? Number(row[10]) : 0;
    expected.set(row[3]!, entry);
  }
  expect(report.byEventType.map((r) => r.event_type)).toEqual([...expected.keys()].sort());
  for (const r of report.byEventType) {
    expect(r.rows).toBe(expected.get(r.event_type)!.rows);
    expect(r.revenue).toBeCloseTo(expected.get(r.event_type)!.revenue, 2);
  }
  expect(report.byEventType.find((r) => r.event_type === 'purchase')!.revenue).toBeGreaterThan(0);
  // One raw object per partition, one Parquet object per raw object.
  expect(report.curated.objects).toBe(report.raw.objects);
  expect(report.firehose.failed).toEqual({ 'Lambda.ProcessingFailedStatus': injectedBad });
}, 120_000);

it('records that mix partitions are split, re-ingested and still all delivered', async () => {
  const report = await runClickstreamPipeline({ rows: 2000, seed: 9, badEvery: 1000, linesPerRecord: 4, mixedRecords: true, out });
  expect(report.problems).toEqual([]);
  expect(report.curated.items).toBe(2000);
  // Dropped answers beyond the blank records are the split ones, whose parts came back round.
  expect(report.firehose.dropped).toBeGreaterThan(report.injected.blank);
}, 120_000);

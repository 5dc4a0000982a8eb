/**
 * Parquet written by lib/formats/parquet, read back by an independent reader (a separate
 * in-memory DuckDB, see tests/support/duckdb.ts) and compared with the input.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateClickstreamRows } from '../../../../lib/datasets/clickstream';
import { compileRowDecoder } from '../../../../lib/formats/csv/row-decoder';
import { convertNdjsonToParquet } from '../../../../lib/formats/parquet/convert-ndjson-to-parquet';
import { DuckDbParquetEngine } from '../../../../lib/formats/parquet/duckdb-parquet-engine';
import type { ParquetRow } from '../../../../lib/formats/parquet/write-parquet';
import { InvalidRowError, writeParquet } from '../../../../lib/formats/parquet/write-parquet';
import { deriveParquetSchema } from '../../../../lib/schemas/parquet-schema';
import { getSchema } from '../../../../lib/schemas/registry';
import { literal, ParquetInspector } from '../../../support/duckdb';

const schema = getSchema('clickstream');
let dir: string;
let engine: DuckDbParquetEngine;
let inspector: ParquetInspector;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shardline-parquet-test-'));
  engine = await DuckDbParquetEngine.open({ threads: 2 });
  inspector = await ParquetInspector.open();
});
afterAll(() => {
  engine.close();
  inspector.close();
  rmSync(dir, { recursive: true, force: true });
});

function generatedRows(count: number): ParquetRow[] {
  const decode = compileRowDecoder(schema);
  return generateClickstreamRows(count, { seed: 11 }).map((fields) => {
    const decoded = decode(fields);
    if (!decoded.ok) throw new Error(decoded.error.reason);
    return decoded.row;
  });
}

const edgeRows: ParquetRow[] = [
  { ...generatedRows(1)[0]!, user_id: 'ü-🚀-東京-\u0000-"q"\\n', referrer: null, revenue: 0, duration_ms: 0, timestamp: '1970-01-01T00:00:00.000Z' },
  { ...generatedRows(1)[0]!, page_url: 'https://shop.example.com/a\nb', referrer: 'https://t.co/x', revenue: 1e9 + 0.01, duration_ms: 86_400_000, timestamp: '9999-12-31T23:59:59.999Z' },
  { ...generatedRows(1)[0]!, revenue: null, timestamp: '2024-02-29T12:00:00.001Z' },
];

describe('writeParquet, read back by DuckDB', () => {
  const rows = [...generatedRows(3000), ...edgeRows];
  let path: string;

  beforeAll(async () => {
    path = join(dir, 'rows.parquet');
    writeFileSync(path, await writeParquet(rows, schema, { engine, workDirectory: dir }));
  });

  it('holds the same count, sums, null counts and time range as the input', async () => {
    const [stats] = await inspector.query(`SELECT count(*) AS n, sum(duration_ms) AS duration, count(revenue) AS revenues, sum(revenue) AS revenue,
      count(referrer) AS referrers, min("timestamp") AS first, max("timestamp") AS last FROM read_parquet(${literal(path)})`);
    const nonNull = (name: string): ParquetRow[] => rows.filter((r) => r[name] !== null);
    const times = rows.map((r) => Date.parse(r.timestamp as string));
    expect(Number(stats!.n)).toBe(rows.length);
    expect(Number(stats!.duration)).toBe(rows.reduce((s, r) => s + (r.duration_ms as number), 0));
    expect(Number(stats!.revenues)).toBe(nonNull('revenue').length);
    expect(stats!.revenue as number).toBeCloseTo(nonNull('revenue').reduce((s, r) => s + (r.revenue as number), 0), 4);
    expect(Number(stats!.referrers)).toBe(nonNull('referrer').length);
    expect(nonNull('revenue').length).toBeGreaterThan(100);
    expect(nonNull('revenue').length).toBeLessThan(rows.length);
    expect((stats!.first as Date).toISOString()).toBe(new Date(Math.min(...times)).toISOString());
    expect((stats!.last as Date).toISOString()).toBe('9999-12-31T23:59:59.999Z');
  });

  it('has the schema-derived types: UTF-8 strings, INT64, DOUBLE and a UTC-adjusted TIMESTAMP, Snappy-compressed', async () => {
    expect(await inspector.columnTypes(path)).toEqual({
      event_id: 'VARCHAR', user_id: 'VARCHAR', session_id: 'VARCHAR', event_type: 'VARCHAR', page_url: 'VARCHAR', referrer: 'VARCHAR',
      device: 'VARCHAR', country: 'VARCHAR', timestamp: 'TIMESTAMP WITH TIME ZONE', duration_ms: 'BIGINT', revenue: 'DOUBLE',
    });
    const physical = await inspector.parquetSchema(path);
    expect(physical.map((c) => [c.name, c.type])).toEqual(deriveParquetSchema(schema).columns.map((c) => [c.name, c.physicalType]));
    for (const c of physical.filter((p) => p.type === 'BYTE_ARRAY')) expect(c.converted_type).toBe('UTF8');
    const timestamp = physical.find((c) => c.name === 'timestamp')!;
    expect(timestamp.logical_type).toMatch(/TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(MILLIS=<null>, MICROS=MicroSeconds\(\)/);
    const codecs = await inspector.query(`SELECT DISTINCT compression FROM parquet_metadata(${literal(path)})`);
    expect(codecs.map((c) => c.compression)).toEqual(['SNAPPY']);
  });

  it('gives back a sample of rows field by field, edge rows included', async () => {
    const sample = [...rows.keys()].filter((i) => i % 97 === 0 || i >= rows.length - edgeRows.length);
    const back = await inspector.query(`SELECT * FROM read_parquet(${literal(path)}, file_row_number = true) WHERE file_row_number IN (${sample.join(',')}) ORDER BY file_row_number`);
    expect(back).toHaveLength(sample.length);
    back.forEach((row, k) => {
      const input = rows[sample[k]!]!;
      for (const [name, value] of Object.entries(input)) {
        const read = row[name];
        if (name === 'timestamp') expect((read as Date).toISOString()).toBe(value);
        else if (name === 'duration_ms') expect(read).toBe(BigInt(value as number));
        else expect(read).toEqual(value);
      }
    });
  });

  it('throws InvalidRowError naming the first bad row', async () => {
    await expect(writeParquet([rows[0]!, { ...rows[1]!, duration_ms: 'x' }], schema, { engine, workDirectory: dir }))
      .rejects.toThrow(new InvalidRowError(1, 'duration_ms: expected an integer, got "x"'));
  });
});

describe('convertNdjsonToParquet', () => {
  it('writes the good lines and reports the bad ones with their line numbers', async () => {
    const rows = generatedRows(2000);
    const lines = rows.map((r) => JSON.stringify(r));
    lines.splice(10, 0, '{not json');
    lines.splice(500, 0, JSON.stringify({ ...rows[0], timestamp: 1700000000 }));
    lines.splice(1500, 0, '');
    const output = join(dir, 'converted.parquet');
    const result = await convertNdjsonToParquet([lines.join('\n') + '\n'], output, schema, { engine, workDirectory: dir });
    expect(result).toMatchObject({ lines: 2003, goodLines: 2000, blankLines: 1, rows: 2000 });
    expect(result.badLines.kept.map((b) => [b.lineNumber, b.reason.split(':')[0]])).toEqual([[11, 'invalid JSON'], [501, 'timestamp']]);
    const [stats] = await inspector.query(`SELECT count(*) AS n, sum(duration_ms) AS d, min("timestamp") AS t FROM read_parquet(${literal(output)})`);
    expect(Number(stats!.n)).toBe(2000);
    expect(Number(stats!.d)).toBe(rows.reduce((s, r) => s + (r.duration_ms as number), 0));
    expect((stats!.t as Date).getUTCFullYear()).toBe(2026);
  });

  it('cuts row groups near rowGroupSize (DuckDB rounds to its 2,048-row vectors)', async () => {
    const output = join(dir, 'groups.parquet');
    const text = generatedRows(20_000).map((r) => JSON.stringify(r) + '\n').join('');
    await convertNdjsonToParquet([text], output, schema, { engine, workDirectory: dir, rowGroupSize: 4096 });
    const [groups] = await inspector.query(`SELECT count(DISTINCT row_group_id) AS n, max(row_group_num_rows) AS biggest FROM parquet_metadata(${literal(output)})`);
    expect(Number(groups!.n)).toBeGreaterThanOrEqual(3);
    expect(Number(groups!.biggest)).toBeLessThanOrEqual(2 * 4096);
  });

  it('writes a zero-row file with the full schema when no line is good', async () => {
    const output = join(dir, 'empty.parquet');
    const result = await convertNdjsonToParquet(['oops\n'], output, schema, { engine, workDirectory: dir });
    expect(result).toMatchObject({ rows: 0, goodLines: 0, badLines: { count: 1 } });
    expect(Object.keys(await inspector.columnTypes(output))).toEqual(schema.columns.map((c) => c.name));
  });
});

/**
 * NDJSON → Parquet (Snappy) writers on 100k clickstream rows, end to end (read the NDJSON file,
 * parse, build columns, write the Parquet file), each beside DuckDB's `COPY … read_json …` — the
 * reference — measured in the same run. Every run of every candidate is its own child process
 * (`node --import tsx`), so its peak RSS (`process.resourceUsage().maxRSS`) is its own; runs
 * alternate between candidates so a burst of load from a neighbour hits all alike.
 *
 * Also reported: import cost over a bare `node` (cold start) and the bytes a Lambda artifact
 * carries for each writer (esbuild bundle, minified, plus .wasm / native libraries).
 *
 * Run one child by hand: `node --import tsx bench/suites/parquet-writers.ts --child <candidate> in.ndjson out.parquet`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateClickstreamRows } from '../../lib/datasets/clickstream';
import { compileRowDecoder } from '../../lib/formats/csv/row-decoder';
import type { Row } from '../../lib/formats/csv/row-decoder';
import { convertNdjsonToParquet } from '../../lib/formats/parquet/convert-ndjson-to-parquet';
import { DuckDbParquetEngine } from '../../lib/formats/parquet/duckdb-parquet-engine';
import type { DatasetSchema } from '../../lib/schemas/dataset-schema';
import { deriveParquetSchema } from '../../lib/schemas/parquet-schema';
import { getSchema } from '../../lib/schemas/registry';
import type { BenchResult } from '../harness';
import { result } from '../harness';

const ROWS = 100_000;
const RUNS = 3;
const ROW_GROUP_SIZE = 122_880;

const CANDIDATES = ['duckdb', 'shardline', 'parquet-wasm', 'dsnp-parquetjs', 'parquetjs-lite', 'floor-json-parse'] as const;
type Candidate = (typeof CANDIDATES)[number];
const REFERENCE: Candidate = 'duckdb';

const LABELS: Readonly<Record<Candidate, string>> = {
  'duckdb': 'DuckDB 1.5.6 COPY read_json (reference)',
  'shardline': 'lib/formats/parquet (line check in JS + DuckDB)',
  'parquet-wasm': 'parquet-wasm 0.8.0 + apache-arrow 21.2.0, hand-built columns',
  'dsnp-parquetjs': '@dsnp/parquetjs 1.8.8',
  'parquetjs-lite': 'parquetjs-lite 0.8.7 (baseline)',
  'floor-json-parse': 'floor: read + split + JSON.parse only (no Parquet)',
};

interface ChildReport {
  readonly ms: number;
  readonly rows: number;
  readonly bytes: number;
  readonly maxRssMb: number;
}

// ---------------------------------------------------------------------------------------------
// Candidates (run inside the child process)

function readLines(inputPath: string): string[] {
  const lines = readFileSync(inputPath, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

async function writeWithDuckDb(inputPath: string, outputPath: string, schema: DatasetSchema): Promise<number> {
  const engine = await DuckDbParquetEngine.open();
  try {
    return (await engine.convertNdjsonFile(inputPath, outputPath, schema, { rowGroupSize: ROW_GROUP_SIZE })).rows;
  } finally {
    engine.close();
  }
}

async function writeWithShardline(inputPath: string, outputPath: string, schema: DatasetSchema): Promise<number> {
  const { createReadStream } = await import('node:fs');
  const engine = await DuckDbParquetEngine.open();
  try {
    const converted = await convertNdjsonToParquet(createReadStream(inputPath, { highWaterMark: 1 << 20 }), outputPath, schema, { engine, rowGroupSize: ROW_GROUP_SIZE });
    if (converted.badLines.count > 0) throw new Error(`unexpected bad lines: ${converted.badLines.count}`);
    return converted.rows;
  } finally {
    engine.close();
  }
}

/** Arrow columns built by hand with explicit types (no inference: integers stay Int64, timestamps UTC micros). */
async function writeWithParquetWasm(inputPath: string, outputPath: string, schema: DatasetSchema): Promise<number> {
  const arrow = await import('apache-arrow');
  const wasm = await import('parquet-wasm/node');
  const rows = readLines(inputPath).map((line) => JSON.parse(line) as Row);
  const n = rows.length;
  const fields: InstanceType<typeof arrow.Field>[] = [];
  const children: ReturnType<typeof arrow.makeData>[] = [];
  for (const column of deriveParquetSchema(schema).columns) {
    const values = rows.map((row) => row[column.name] ?? null);
    const validity = new Uint8Array((n + 7) >> 3);
    let nullCount = 0;
    values.forEach((v, i) => { if (v === null) nullCount++; else validity[i >> 3]! |= 1 << (i & 7); });
    const nullable = column.repetition === 'OPTIONAL';
    const common = { length: n, nullCount, nullBitmap: nullCount > 0 ? validity : null };
    switch (column.kind) {
      case 'string': {
        const offsets = new Int32Array(n + 1);
        let upper = 0;
        for (const v of values) upper += v === null ? 0 : (v as string).length * 3;
        const bytes = Buffer.allocUnsafe(upper);
        let at = 0;
        values.forEach((v, i) => { if (v !== null) at += bytes.write(v as string, at); offsets[i + 1] = at; });
        const type = new arrow.Utf8();
        fields.push(new arrow.Field(column.name, type, nullable));
        children.push(arrow.makeData({ type, ...common, valueOffsets: offsets, data: bytes.subarray(0, at) }));
        break;
      }
      case 'integer': {
        const type = new arrow.Int64();
        fields.push(new arrow.Field(column.name, type, nullable));
        children.push(arrow.makeData({ type, ...common, data: BigInt64Array.from(values, (v) => BigInt(v === null ? 0 : (v as number))) }));
        break;
      }
      case 'number': {
        const type = new arrow.Float64();
        fields.push(new arrow.Field(column.name, type, nullable));
        children.push(arrow.makeData({ type, ...common, data: Float64Array.from(values, (v) => (v === null ? 0 : (v as number))) }));
        break;
      }
      case 'boolean': {
        const bits = new Uint8Array((n + 7) >> 3);
        values.forEach((v, i) => { if (v === true) bits[i >> 3]! |= 1 << (i & 7); });
        const type = new arrow.Bool();
        fields.push(new arrow.Field(column.name, type, nullable));
        children.push(arrow.makeData({ type, ...common, data: bits }));
        break;
      }
      case 'timestamp': {
        const type = new arrow.TimestampMicrosecond('UTC');
        fields.push(new arrow.Field(column.name, type, nullable));
        children.push(arrow.makeData({ type, ...common, data: BigInt64Array.from(values, (v) => (v === null ? 0n : BigInt(Date.parse(v as string)) * 1000n)) }));
        break;
      }
    }
  }
  const arrowSchema = new arrow.Schema(fields);
  const batch = new arrow.RecordBatch(arrowSchema, arrow.makeData({ type: new arrow.Struct(fields), length: n, nullCount: 0, children }));
  const table = new arrow.Table(arrowSchema, [batch]);
  const properties = new wasm.WriterPropertiesBuilder().setCompression(wasm.Compression.SNAPPY).setMaxRowGroupSize(ROW_GROUP_SIZE).build();
  const wasmTable = wasm.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  writeFileSync(outputPath, wasm.writeParquet(wasmTable, properties));
  return n;
}

/** The part of the parquetjs API (both forks) this bench uses. */
interface ParquetJs {
  ParquetSchema: new (fields: Record<string, { type: string; optional?: boolean; compression?: string }>) => unknown;
  ParquetWriter: { openFile(schema: unknown, path: string, options?: { rowGroupSize?: number }): Promise<{ appendRow(row: Record<string, unknown>): Promise<void>; close(): Promise<void> }> };
}

const PARQUETJS_TYPES: Readonly<Record<string, string>> = { string: 'UTF8', integer: 'INT64', number: 'DOUBLE', boolean: 'BOOLEAN', timestamp: 'TIMESTAMP_MILLIS' };

async function writeWithParquetJs(library: ParquetJs, inputPath: string, outputPath: string, schema: DatasetSchema): Promise<number> {
  const columns = deriveParquetSchema(schema).columns;
  const fields = Object.fromEntries(columns.map((c) => [c.name, { type: PARQUETJS_TYPES[c.kind]!, optional: c.repetition === 'OPTIONAL', compression: 'SNAPPY' }]));
  const timestamps = columns.filter((c) => c.kind === 'timestamp').map((c) => c.name);
  const writer = await library.ParquetWriter.openFile(new library.ParquetSchema(fields), outputPath, { rowGroupSize: 4096 });
  let n = 0;
  for (const line of readLines(inputPath)) {
    const row = JSON.parse(line) as Record<string, unknown>;
    // An ISO string in a TIMESTAMP column is parseInt'ed to 1970 by both forks: pass a Date.
    for (const name of timestamps) if (typeof row[name] === 'string') row[name] = new Date(row[name]);
    for (const key of Object.keys(row)) if (row[key] === null) delete row[key];
    await writer.appendRow(row);
    n++;
  }
  await writer.close();
  return n;
}

async function runCandidate(candidate: Candidate, inputPath: string, outputPath: string): Promise<ChildReport> {
  const schema = getSchema('clickstream');
  // Libraries are imported before the clock starts: import cost is measured separately.
  const parquetjs = candidate === 'parquetjs-lite' ? (createRequire(__filename)('parquetjs-lite') as ParquetJs)
    : candidate === 'dsnp-parquetjs' ? ((await import('@dsnp/parquetjs')) as unknown as ParquetJs) : undefined;
  if (candidate === 'parquet-wasm') await Promise.all([import('apache-arrow'), import('parquet-wasm/node')]);
  const start = performance.now();
  let rows: number;
  switch (candidate) {
    case 'duckdb': rows = await writeWithDuckDb(inputPath, outputPath, schema); break;
    case 'shardline': rows = await writeWithShardline(inputPath, outputPath, schema); break;
    case 'parquet-wasm': rows = await writeWithParquetWasm(inputPath, outputPath, schema); break;
    case 'dsnp-parquetjs':
    case 'parquetjs-lite': rows = await writeWithParquetJs(parquetjs!, inputPath, outputPath, schema); break;
    case 'floor-json-parse': {
      rows = 0;
      for (const line of readLines(inputPath)) if (JSON.parse(line) !== null) rows++;
      writeFileSync(outputPath, '');
      break;
    }
  }
  const ms = performance.now() - start;
  return { ms, rows, bytes: statSync(outputPath).size, maxRssMb: process.resourceUsage().maxRSS / 1024 };
}

// ---------------------------------------------------------------------------------------------
// The suite (parent process)

function ndjsonInput(path: string): number {
  const decode = compileRowDecoder(getSchema('clickstream'));
  let text = '';
  for (const fields of generateClickstreamRows(ROWS, { seed: 7 })) {
    const decoded = decode(fields);
    if (!decoded.ok) throw new Error(decoded.error.reason);
    text += JSON.stringify(decoded.row) + '\n';
  }
  writeFileSync(path, text);
  return Buffer.byteLength(text);
}

function runChild(candidate: Candidate, inputPath: string, outputPath: string): ChildReport {
  const out = execFileSync(process.execPath, ['--import', 'tsx', __filename, '--child', candidate, inputPath, outputPath], {
    cwd: join(__dirname, '..', '..'), encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildReport;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Milliseconds `require(modules)` adds over a bare `node -e` (best of 5, separate processes). */
function importMs(modules: readonly string[], then = ''): number {
  const script = `const t=performance.now();${modules.map((m) => `require(${JSON.stringify(m)});`).join('')}${then}Promise.resolve().then(async()=>{${then ? 'await main();' : ''}process.stdout.write(String(performance.now()-t));});`;
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) samples.push(Number(execFileSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8' })));
  return Math.min(...samples);
}

function directoryBytes(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.size;
  return readdirSync(path).reduce((sum, entry) => sum + directoryBytes(join(path, entry)), 0);
}

/** Minified esbuild bundle of `require(module)` plus the files the bundler cannot inline. */
async function artifactBytes(modules: readonly string[], external: readonly string[], assets: readonly string[]): Promise<number> {
  const esbuild = await import('esbuild');
  const built = await esbuild.build({
    stdin: { contents: modules.map((m) => `require(${JSON.stringify(m)});`).join('\n'), resolveDir: join(__dirname, '..', '..') },
    bundle: true, minify: true, platform: 'node', target: 'node20', write: false, logLevel: 'silent', external: [...external],
  });
  const root = join(__dirname, '..', '..', 'node_modules');
  return built.outputFiles.reduce((sum, f) => sum + f.contents.length, 0) + assets.reduce((sum, a) => sum + directoryBytes(join(root, a)), 0);
}

export async function parquetWritersSuite(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'shardline-parquet-bench-'));
  try {
    const input = join(dir, 'in.ndjson');
    const inputBytes = ndjsonInput(input);
    console.error(`  parquet-writers: ${ROWS} rows, ${(inputBytes / 1e6).toFixed(1)} MB NDJSON; ${RUNS} runs per candidate, one child process each`);
    const reports = new Map<Candidate, ChildReport[]>(CANDIDATES.map((c) => [c, []]));
    for (let run = 0; run < RUNS; run++) {
      for (const candidate of CANDIDATES) {
        const report = runChild(candidate, input, join(dir, `${candidate}.parquet`));
        if (report.rows !== ROWS) throw new Error(`${candidate}: wrote ${report.rows} rows, expected ${ROWS}`);
        console.error(`    ${candidate}: ${report.ms.toFixed(0)} ms, ${report.bytes} B, ${report.maxRssMb.toFixed(0)} MB RSS`);
        reports.get(candidate)!.push(report);
      }
    }
    const summary = (c: Candidate): { rowsPerS: number; bytes: number; rssMb: number } => {
      const rs = reports.get(c)!;
      return { rowsPerS: ROWS / (median(rs.map((r) => r.ms)) / 1000), bytes: median(rs.map((r) => r.bytes)), rssMb: median(rs.map((r) => r.maxRssMb)) };
    };
    const ref = summary(REFERENCE);
    const results: BenchResult[] = [];
    for (const c of CANDIDATES) {
      const s = summary(c);
      const vs = c === REFERENCE ? undefined : ref;
      results.push(result(`parquet-writers: ${LABELS[c]}: rows/s (median)`, s.rowsPerS, 'rows/s', vs?.rowsPerS));
      if (c !== 'floor-json-parse') results.push(result(`parquet-writers: ${LABELS[c]}: file`, s.bytes, 'bytes', vs?.bytes));
      results.push(result(`parquet-writers: ${LABELS[c]}: peak RSS (child)`, s.rssMb, 'MB', vs?.rssMb));
    }
    const bare = importMs([]);
    const imports: [string, readonly string[], string?][] = [
      ['DuckDB (@duckdb/node-api)', ['@duckdb/node-api']],
      ['DuckDB + instance + connection', ['@duckdb/node-api'], 'async function main(){const{DuckDBInstance}=require("@duckdb/node-api");const d=await DuckDBInstance.create(":memory:");await d.connect();}'],
      ['parquet-wasm + apache-arrow', ['parquet-wasm/node', 'apache-arrow']],
      ['@dsnp/parquetjs', ['@dsnp/parquetjs']],
      ['parquetjs-lite', ['parquetjs-lite']],
    ];
    for (const [label, modules, then] of imports) results.push(result(`parquet-writers: import cost over bare node: ${label}`, importMs(modules, then ?? '') - bare, 'ms'));
    const artifacts: [string, readonly string[], readonly string[], readonly string[]][] = [
      ['DuckDB (linux-x64 native library)', ['@duckdb/node-api'], ['@duckdb/node-bindings'], ['@duckdb/node-bindings', '@duckdb/node-bindings-linux-x64']],
      ['parquet-wasm + apache-arrow', ['parquet-wasm/node', 'apache-arrow'], [], ['parquet-wasm/node/parquet_wasm_bg.wasm']],
      ['@dsnp/parquetjs', ['@dsnp/parquetjs'], [], []],
      ['parquetjs-lite', ['parquetjs-lite'], [], []],
    ];
    for (const [label, modules, external, assets] of artifacts) {
      let bytes = Number.NaN;
      try { bytes = await artifactBytes(modules, external, assets); } catch (error) { console.error(`    bundle ${label}: ${(error as Error).message.split('\n')[0]}`); }
      results.push(result(`parquet-writers: Lambda artifact bytes: ${label}`, bytes / 1e6, 'MB'));
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  const [candidate, inputPath, outputPath] = process.argv.slice(3) as [Candidate, string, string];
  if (!CANDIDATES.includes(candidate)) throw new Error(`unknown candidate ${candidate}; known: ${CANDIDATES.join(', ')}`);
  runCandidate(candidate, inputPath, outputPath).then(
    (report) => { process.stdout.write(JSON.stringify(report) + '\n'); },
    (error: unknown) => { console.error(error); process.exit(1); },
  );
}

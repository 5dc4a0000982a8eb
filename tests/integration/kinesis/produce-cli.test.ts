/**
 * `npm run produce` as a user runs it (tsx, a child process), in `--local` mode: an embedded
 * kinesalite, the stream created, records produced and read back. Checks the exit codes and what
 * the report says against the input.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { generateTelemetry } from '../../../lib/datasets/telemetry';
import { formatCsvRows } from '../../../lib/formats/csv/csv-rows';

const ROOT = resolve(__dirname, '..', '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const TIMEOUT_MS = 120_000;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function produce(args: readonly string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(TSX, [join(ROOT, 'lib', 'cli', 'produce.ts'), ...args], { cwd: ROOT, timeout: TIMEOUT_MS, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      done({ code, stdout: stripVTControlCharacters(stdout), stderr });
    });
  });
}

/** The number in a `│ label │ n │` row of the report tables. */
function figure(stdout: string, label: string): number {
  const line = stdout.split('\n').find((l) => l.includes(`│ ${label} `));
  if (!line) throw new Error(`no "${label}" row in:\n${stdout}`);
  return Number(line.split('│')[2]!.trim());
}

/** Read-back rows: shard id → user records read from it. */
function readBack(stdout: string): Record<string, number> {
  const rows = stdout.split('\n').filter((l) => /│ shardId-\d+ +│ [\d.]+ %/.test(l));
  return Object.fromEntries(rows.map((l) => { const cells = l.split('│').map((c) => c.trim()); return [cells[1]!, Number(cells[4])]; }));
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'produce-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('--generate --local: every reading written and read back, spread over the shards', async () => {
  const run = await produce(['--local', '3', '--generate', '600', '--devices', '30']);
  expect(run.code).toBe(0);
  expect(figure(run.stdout, 'user records written')).toBe(600);
  expect(figure(run.stdout, 'user records failed')).toBe(0);
  const landed = readBack(run.stdout);
  expect(Object.keys(landed)).toHaveLength(3);
  expect(Object.values(landed).reduce((a, b) => a + b, 0)).toBe(600);
  expect(run.stdout).toMatch(/hot shard: shardId-\d+ took [\d.]+ % of the bytes; even share 33\.3 % of 3 shards/);
}, TIMEOUT_MS);

test('--file CSV: columns matched by header name, rows typed by the schema, a bad row reported and exit 1', async () => {
  const readings = [...generateTelemetry(40, { devices: 8, seed: 3 })];
  const columns = ['status', 'device_id', 'timestamp', 'seq', 'temperature_c', 'humidity_pct', 'pressure_hpa', 'battery_pct', 'rssi_dbm', 'firmware'];
  const rows = readings.map((r) => columns.map((c) => { const v = (r as unknown as Record<string, string | number | null>)[c]; return v === null || v === undefined ? '' : String(v); }));
  rows.splice(10, 0, ['ok', 'sensor-0001', '2026-11-25T22:00:00Z', 'not-a-number', '1', '1', '', '1', '-50', '1.0.0']);
  const file = join(dir, 'telemetry.csv');
  writeFileSync(file, formatCsvRows([columns, ...rows]));
  const run = await produce(['--local', '--file', file]);
  expect(run.code).toBe(1);
  expect(figure(run.stdout, 'user records written')).toBe(40);
  expect(figure(run.stdout, 'invalid input lines (not put)')).toBe(1);
  expect(run.stderr).toContain('{"invalid":{"where":"row 12","reason":"seq: not an integer: \\"not-a-number\\""}}');
  expect(Object.values(readBack(run.stdout)).reduce((a, b) => a + b, 0)).toBe(40);
}, TIMEOUT_MS);

test('--file NDJSON with random keys, not aggregated: lines pass through; bad lines reported', async () => {
  const file = join(dir, 'lines.ndjson');
  writeFileSync(file, '{"a":1}\n\n[1,2]\n"text"\n{not json\n{"b":2}\n');
  const failures = join(dir, 'failures.ndjson');
  const run = await produce(['--local', '1', '--file', file, '--partition-key', 'random', '--no-aggregate', '--failures-file', failures]);
  expect(run.code).toBe(1);
  expect(figure(run.stdout, 'user records written')).toBe(4);
  expect(figure(run.stdout, 'invalid input lines (not put)')).toBe(1);
  expect(run.stderr).toMatch(/"where":"line 5","reason":"not JSON/);
  expect(readFileSync(failures, 'utf8')).toBe('');
}, TIMEOUT_MS);

test('bad usage exits 2 with a message', async () => {
  const run = await produce(['--generate', '5']);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('produce: --stream <name> is required (or --local)');
  const both = await produce(['--local', '--generate', '5', '--file', 'x.csv']);
  expect(both.code).toBe(2);
}, TIMEOUT_MS);

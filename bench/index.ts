/**
 * `npm run bench`: runs every suite, prints one table and writes the same figures to
 * bench/results/latest.json as a list of {name, value, unit, baseline, ratio}.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Table from 'cli-table3';
import type { BenchResult, Suite } from './harness';
import { firehoseCsvToJsonSuite } from './suites/firehose-csv-to-json';
import { parquetWritersSuite } from './suites/parquet-writers';
import { kinesisProducerSuite } from './suites/kinesis-producer';
import { kinesisConsumersSuite } from './suites/kinesis-consumers';
import { sqsWorkersSuite } from './suites/sqs-workers';
import { cdcSuite } from './suites/cdc';

const suites: Record<string, Suite> = {
  'firehose-csv-to-json': firehoseCsvToJsonSuite,
  'parquet-writers': parquetWritersSuite,
  'kinesis-producer': kinesisProducerSuite,
  'kinesis-consumers': kinesisConsumersSuite,
  'sqs-workers': sqsWorkersSuite,
  cdc: cdcSuite,
};

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const results: BenchResult[] = [];
  for (const [name, suite] of Object.entries(suites)) {
    if (only.length > 0 && !only.includes(name)) continue;
    console.error(`running ${name} …`);
    results.push(...(await suite()));
  }
  const table = new Table({ head: ['benchmark', 'value', 'unit', 'baseline', 'ratio'], colAligns: ['left', 'right', 'left', 'right', 'right'] });
  for (const r of results) table.push([r.name, r.value, r.unit, r.baseline ?? '', r.ratio ?? '']);
  console.log(table.toString());
  const dir = join(__dirname, 'results');
  const file = join(dir, 'latest.json');
  mkdirSync(dir, { recursive: true });
  // A run of some suites keeps the other suites' latest figures.
  const kept = only.length > 0 && existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as BenchResult[]).filter((old) => !results.some((r) => r.name === old.name) && !only.some((suite) => old.name.startsWith(`${suite}:`)))
    : [];
  writeFileSync(file, JSON.stringify([...kept, ...results], null, 2) + '\n');
  console.log(`written: ${join('bench', 'results', 'latest.json')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

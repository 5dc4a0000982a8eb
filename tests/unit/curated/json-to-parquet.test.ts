/**
 * json-to-parquet on a raw object as Firehose writes it (GZIP NDJSON from the real transform),
 * with S3 mocked and DuckDB real: the curated key keeps the Hive partitions, the Parquet file
 * read back independently holds exactly the good rows, bad lines land in the error object with
 * their line numbers, and a replay writes the same key with the same bytes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler, decodeS3Key } from '../../../functions/json-to-parquet';
import { createAwsClients } from '../../../lib/aws/clients';
import { curatedKeyOf, errorKeyOf, NotARawObjectError, partitionsOf } from '../../../lib/curated/curated-key';
import { generateClickstreamRows } from '../../../lib/datasets/clickstream';
import { compileRowDecoder } from '../../../lib/formats/csv/row-decoder';
import { objectCreatedEvent } from '../../../lib/local/s3/notifications';
import { localLambdaContext } from '../../../lib/local/lambda/context';
import { getSchema } from '../../../lib/schemas/registry';
import { literal, ParquetInspector } from '../../support/duckdb';
import sampleEvent from '../../../events/json-to-parquet.json';

const s3Mock = mockClient(S3Client);
const RAW_KEY = 'raw/event_type=purchase/dt=2026-11-25/shardline-dev-clickstream-1-2026-11-25-22-10-00-0a1b2c3d.gz';

/** Purchase rows as the transform writes them (typed, UTC timestamps), one JSON object per line. */
function purchaseLines(count: number): string[] {
  const decode = compileRowDecoder(getSchema('clickstream'));
  return generateClickstreamRows(count * 12, { seed: 11 })
    .filter((row) => row[3] === 'purchase')
    .slice(0, count)
    .map((fields) => {
      const decoded = decode(fields);
      if (!decoded.ok) throw new Error(decoded.error.reason);
      return JSON.stringify(decoded.row);
    });
}

let inspector: ParquetInspector;
let dir: string;
beforeAll(async () => {
  inspector = await ParquetInspector.open();
  dir = await mkdtemp(join(tmpdir(), 'json-to-parquet-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('curated keys', () => {
  it('keep the Hive partitions and the object name, as .parquet', () => {
    expect(curatedKeyOf(RAW_KEY)).toBe('curated/event_type=purchase/dt=2026-11-25/shardline-dev-clickstream-1-2026-11-25-22-10-00-0a1b2c3d.parquet');
    expect(errorKeyOf(RAW_KEY)).toBe('curated-errors/event_type=purchase/dt=2026-11-25/shardline-dev-clickstream-1-2026-11-25-22-10-00-0a1b2c3d.jsonl');
    expect(partitionsOf(RAW_KEY)).toEqual({ event_type: 'purchase', dt: '2026-11-25' });
    expect(() => curatedKeyOf('processing-failed/x.gz')).toThrow(NotARawObjectError);
    expect(() => curatedKeyOf('raw/2026/11/25/x.gz')).toThrow(NotARawObjectError);
  });

  it('decode S3 event keys', () => {
    expect(decodeS3Key('raw/event_type%3Dclick/a+b.gz')).toBe('raw/event_type=click/a b.gz');
  });

  it('map the sample event of events/ to the curated zone', () => {
    const key = decodeS3Key(sampleEvent.Records[0]!.s3.object.key);
    expect(partitionsOf(key)).toEqual({ event_type: 'purchase', dt: '2026-11-25' });
    expect(curatedKeyOf(key)).toMatch(/^curated\/event_type=purchase\/dt=2026-11-25\/shardline-dev-clickstream-1-.+\.parquet$/);
  });
});

describe('json-to-parquet handler', () => {
  const lines = purchaseLines(300);
  const bad = ['{"event_id": "not-closed"', '{"event_id":"x"}', 'plain text'];
  // Bad lines at known places: 1-based line numbers 11, 151, 302 of the object.
  const body = [...lines.slice(0, 10), bad[0], ...lines.slice(10, 149), bad[1], ...lines.slice(149), bad[2]].join('\n') + '\n';

  async function run(): Promise<{ parquet: Buffer; errors: string; curatedKey: string }> {
    s3Mock.reset();
    s3Mock.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([gzipSync(body)]) }));
    s3Mock.on(PutObjectCommand).resolves({});
    const handler = createHandler({ clients: createAwsClients({ region: 'eu-west-1' }) });
    const event: S3Event = objectCreatedEvent('lake', RAW_KEY, 1234, 'etag');
    const out = await handler(event, localLambdaContext({ functionName: 'jsonToParquet' }));
    expect(out.converted).toHaveLength(1);
    expect(out.converted[0]).toMatchObject({ rows: 300, badLines: 3, lines: 303 });
    const puts = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    const parquet = puts.find((p) => p.Key!.endsWith('.parquet'))!;
    const errors = puts.find((p) => p.Key!.endsWith('.jsonl'))!;
    expect(errors.Key).toBe(errorKeyOf(RAW_KEY));
    return { parquet: Buffer.from(parquet.Body as Uint8Array), errors: errors.Body as string, curatedKey: parquet.Key! };
  }

  it('writes exactly the good rows to Parquet, read back by an independent reader', async () => {
    const { parquet, curatedKey } = await run();
    expect(curatedKey).toBe(curatedKeyOf(RAW_KEY));
    const file = join(dir, 'out.parquet');
    await writeFile(file, parquet);
    const input = lines.map((l) => JSON.parse(l) as { duration_ms: number; revenue: number | null; timestamp: string; event_id: string });
    const [stats] = await inspector.query(`SELECT count(*) AS n, sum(duration_ms) AS d, count(revenue) AS r, round(sum(revenue), 2) AS rs, min("timestamp") AS first FROM read_parquet(${literal(file)})`);
    expect(Number(stats!.n)).toBe(300);
    expect(Number(stats!.d)).toBe(input.reduce((s, r) => s + r.duration_ms, 0));
    expect(Number(stats!.r)).toBe(input.filter((r) => r.revenue !== null).length);
    expect(Number(stats!.rs)).toBeCloseTo(input.reduce((s, r) => s + (r.revenue ?? 0), 0), 2);
    const types = await inspector.columnTypes(file);
    expect(types.timestamp).toBe('TIMESTAMP WITH TIME ZONE');
    const [sample] = await inspector.query(`SELECT event_id, epoch_ms("timestamp") AS ms FROM read_parquet(${literal(file)}) WHERE event_id = ${literal(input[123]!.event_id)}`);
    expect(Number(sample!.ms)).toBe(Date.parse(input[123]!.timestamp));
  });

  it('writes every bad line with its line number and reason to the error object', async () => {
    const { errors } = await run();
    const records = errors.trim().split('\n').map((l) => JSON.parse(l) as { lineNumber: number; reason: string; line: string; sourceKey: string });
    expect(records.map((r) => r.lineNumber)).toEqual([11, 151, 303]);
    expect(records.map((r) => r.line)).toEqual(bad);
    for (const r of records) {
      expect(r.sourceKey).toBe(RAW_KEY);
      expect(r.reason.length).toBeGreaterThan(0);
    }
  });

  it('rejects (for Lambda to retry) when the object is not valid GZIP, and writes nothing', async () => {
    s3Mock.reset();
    s3Mock.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from('not gzip at all')]) }));
    s3Mock.on(PutObjectCommand).resolves({});
    const handler = createHandler({ clients: createAwsClients({ region: 'eu-west-1' }) });
    await expect(handler(objectCreatedEvent('lake', RAW_KEY, 15, 'etag'), localLambdaContext({ functionName: 'jsonToParquet' }))).rejects.toThrow(/header/);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('is idempotent: a replay writes the same key with the same bytes', async () => {
    const first = await run();
    const second = await run();
    expect(second.curatedKey).toBe(first.curatedKey);
    expect(second.parquet.equals(first.parquet)).toBe(true);
  });
});

/**
 * The local Firehose delivery stream against a mocked S3: buffering, the transform contract as
 * Firehose enforces it, retries, error output in AWS's shape, object naming and GZIP. Every
 * record put is counted at the end: delivered, dropped or in the error output.
 */
import { gunzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../../../functions/firehose-csv-to-json';
import type { FirehoseTransformationEvent } from '../../../../lib/firehose/transformation-contract';
import { generateClickstreamRows } from '../../../../lib/datasets/clickstream';
import { formatCsvRows } from '../../../../lib/formats/csv/csv-rows';
import { compileRowDecoder } from '../../../../lib/formats/csv/row-decoder';
import { createLogger, createMetrics } from '../../../../lib/observability/powertools';
import type { DeliveryStreamConfig, LambdaInvoker } from '../../../../lib/local/firehose/delivery-stream';
import { LocalDeliveryStream } from '../../../../lib/local/firehose/delivery-stream';
import { localLambdaContext } from '../../../../lib/local/lambda/context';
import { getSchema } from '../../../../lib/schemas/registry';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { literal, ParquetInspector } from '../../../support/duckdb';

const s3Mock = mockClient(S3Client);
const LAMBDA_ARN = 'arn:aws:lambda:eu-west-1:000000000000:function:shardline-test-firehoseCsvToJson';

interface WrittenObject { key: string; body: Buffer }

function written(): WrittenObject[] {
  return s3Mock.commandCalls(PutObjectCommand).map((call) => {
    const input = call.args[0].input;
    return { key: input.Key!, body: Buffer.from(input.Body as Uint8Array) };
  });
}

const text = (o: WrittenObject): string => (o.key.endsWith('.gz') ? gunzipSync(o.body) : o.body).toString('utf8');
const lines = (o: WrittenObject): string[] => text(o).split('\n').filter(Boolean);

interface ErrorRecord { attemptsMade: number; arrivalTimestamp: number; errorCode: string; errorMessage: string; attemptEndingTimestamp: number; rawData: string; lambdaArn?: string }
const errorRecords = (prefix = 'processing-failed/'): ErrorRecord[] =>
  written().filter((o) => o.key.startsWith(prefix)).flatMap((o) => lines(o).map((l) => JSON.parse(l) as ErrorRecord));

function config(overrides: Partial<DeliveryStreamConfig> = {}): DeliveryStreamConfig {
  return {
    name: 'shardline-test-clickstream', region: 'eu-west-1', accountId: '000000000000', bucket: 'test-bucket',
    compression: 'UNCOMPRESSED', buffering: { sizeMb: 64, intervalSeconds: 900 }, dynamicPartitioning: false, encrypted: false,
    ...overrides,
  };
}

const processor = { lambdaArn: LAMBDA_ARN, bufferSizeMb: 1, bufferIntervalSeconds: 900, numberOfRetries: 3 };

/** The real transform, re-ingesting into the stream itself (as Firehose would receive it). */
function realTransform(streamRef: { stream?: LocalDeliveryStream }): LambdaInvoker {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const logger = createLogger('test');
  logger.setLogLevel('SILENT');
  const handler = createHandler({
    logger, metrics: createMetrics('test'),
    reingesterFor: () => ({ reingest: (records) => { streamRef.stream!.put(records.map((r) => r.data)); return Promise.resolve(); } }),
  });
  return (_arn, event) => handler(event, localLambdaContext({ functionName: 'firehoseCsvToJson' }));
}

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
});

describe('LocalDeliveryStream without a processor', () => {
  it('writes GZIP objects under the default YYYY/MM/dd/HH/ prefix with Firehose object names', async () => {
    const stream = new LocalDeliveryStream(config({ compression: 'GZIP' }), new S3Client({ region: 'eu-west-1' }), () => Promise.reject(new Error('no processor')));
    stream.put([Buffer.from('a\n'), Buffer.from('b\n')]);
    await stream.flush();
    const objects = written();
    expect(objects).toHaveLength(1);
    expect(objects[0]!.key).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\d{2}\/shardline-test-clickstream-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.gz$/);
    const hour = new Date().toISOString().slice(0, 13).replace(/-|T/g, '/');
    expect(objects[0]!.key.startsWith(hour.slice(0, 13))).toBe(true);
    expect(text(objects[0]!)).toBe('a\nb\n');
    stream.stop();
  });

  it('writes an object by itself once the destination interval passes', async () => {
    const stream = new LocalDeliveryStream(config({ buffering: { sizeMb: 64, intervalSeconds: 0 } }), new S3Client({ region: 'eu-west-1' }), () => Promise.reject(new Error('no processor')));
    stream.put([Buffer.from('x')]);
    for (let i = 0; i < 50 && stream.stats.objectsWritten === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(stream.stats.objectsWritten).toBe(1);
    expect(text(written()[0]!)).toBe('x');
    stream.stop();
  });
});

describe('LocalDeliveryStream with the CSV→JSON transform', () => {
  it('delivers Ok records by partition, drops Dropped, and writes ProcessingFailed in AWS error shape', async () => {
    const ref: { stream?: LocalDeliveryStream } = {};
    const stream = new LocalDeliveryStream(config({
      compression: 'GZIP', dynamicPartitioning: true, processor,
      prefix: 'raw/event_type=!{partitionKeyFromLambda:event_type}/dt=!{partitionKeyFromLambda:dt}/',
      errorOutputPrefix: 'processing-failed/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
    }), new S3Client({ region: 'eu-west-1' }), realTransform(ref));
    ref.stream = stream;
    const rows = generateClickstreamRows(30, { seed: 3 });
    const good = rows.map((row) => Buffer.from(formatCsvRows([row])));
    const bad = Buffer.from('not,enough,columns\n');
    const mixed = Buffer.from(formatCsvRows(rows.slice(0, 4))); // spans partitions: split and re-ingested
    stream.put([...good, Buffer.from('   \n'), bad, mixed]);
    await stream.flush();
    await stream.flush(); // the re-ingested parts of the mixed record go round once more

    const data = written().filter((o) => o.key.startsWith('raw/'));
    for (const object of data) {
      const [, type, dt] = /^raw\/event_type=([a-z_]+)\/dt=(\d{4}-\d{2}-\d{2})\//.exec(object.key) ?? [];
      expect(type).toBeDefined();
      for (const line of lines(object)) {
        const row = JSON.parse(line) as { event_type: string; timestamp: string };
        expect(row.event_type).toBe(type);
        expect(row.timestamp.slice(0, 10)).toBe(dt);
      }
    }
    const deliveredRows = data.reduce((sum, o) => sum + lines(o).length, 0);
    expect(deliveredRows).toBe(30 + 4);

    const failures = errorRecords();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ attemptsMade: 1, errorCode: 'Lambda.ProcessingFailedStatus', rawData: bad.toString('base64'), lambdaArn: LAMBDA_ARN });
    expect(Object.keys(failures[0]!).sort()).toEqual(['arrivalTimestamp', 'attemptEndingTimestamp', 'attemptsMade', 'errorCode', 'errorMessage', 'lambdaArn', 'rawData']);
    expect(written().find((o) => o.key.startsWith('processing-failed/'))!.key).toMatch(/^processing-failed\/processing-failed\/\d{4}\/\d{2}\/\d{2}\//);
    // 33 put + parts of the split record re-ingested; ok + dropped + failed covers them all.
    expect(stream.stats.ok + stream.stats.dropped + 1).toBe(stream.stats.received);
    stream.stop();
  });

  it('sends events of at most the processor buffer size', async () => {
    const sizes: number[] = [];
    const ref: { stream?: LocalDeliveryStream } = {};
    const transform = realTransform(ref);
    const stream = new LocalDeliveryStream(config({ processor: { ...processor, bufferSizeMb: 0.01 } }), new S3Client({ region: 'eu-west-1' }), (arn, event) => {
      sizes.push(event.records.reduce((sum, r) => sum + Buffer.from(r.data, 'base64').length, 0));
      return transform(arn, event);
    });
    ref.stream = stream;
    const records = generateClickstreamRows(200, { seed: 4 }).map((row) => Buffer.from(formatCsvRows([row])));
    stream.put(records);
    await stream.flush();
    expect(sizes.length).toBeGreaterThan(3);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(0.01 * 1024 * 1024);
    expect(stream.stats.ok).toBe(200);
    stream.stop();
  });
});

describe('LocalDeliveryStream enforcing the transformation contract', () => {
  const event = (records: number): Buffer[] => Array.from({ length: records }, (_, i) => Buffer.from(`r${i}`));

  it('fails missing and duplicated record ids with Lambda.MissingRecordId / Lambda.DuplicatedRecordId', async () => {
    const stream = new LocalDeliveryStream(config({ processor }), new S3Client({ region: 'eu-west-1' }), (_arn, e: FirehoseTransformationEvent) => {
      // The third record gets no answer at all.
      const [first, second] = e.records;
      return Promise.resolve({ records: [
        { recordId: first!.recordId, result: 'Ok', data: first!.data },
        { recordId: second!.recordId, result: 'Ok', data: second!.data },
        { recordId: second!.recordId, result: 'Ok', data: second!.data },
        { recordId: 'never-sent', result: 'Ok', data: '' },
      ] });
    });
    stream.put(event(3));
    await stream.flush();
    const failures = errorRecords();
    expect(failures.map((f) => f.errorCode).sort()).toEqual(['Lambda.DuplicatedRecordId', 'Lambda.MissingRecordId']);
    expect(failures.find((f) => f.errorCode === 'Lambda.MissingRecordId')!.rawData).toBe(Buffer.from('r2').toString('base64'));
    expect(stream.stats.ok).toBe(1);
    stream.stop();
  });

  it('retries a failing invocation NumberOfRetries times, then writes the batch as Lambda.FunctionError', async () => {
    let calls = 0;
    const stream = new LocalDeliveryStream(config({ processor: { ...processor, numberOfRetries: 2 } }), new S3Client({ region: 'eu-west-1' }), () => {
      calls++;
      return Promise.reject(new Error('boom'));
    });
    stream.put(event(5));
    await stream.flush();
    expect(calls).toBe(3);
    const failures = errorRecords();
    expect(failures).toHaveLength(5);
    for (const f of failures) expect(f).toMatchObject({ errorCode: 'Lambda.FunctionError', attemptsMade: 3, lambdaArn: LAMBDA_ARN });
    stream.stop();
  });

  it('recovers when a retry succeeds, and rejects answers over the 6 MB response limit', async () => {
    let calls = 0;
    const stream = new LocalDeliveryStream(config({ processor }), new S3Client({ region: 'eu-west-1' }), (_arn, e) => {
      calls++;
      if (calls === 1) return Promise.resolve({ records: e.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: 'A'.repeat(7 * 1024 * 1024) })) });
      if (calls === 2) return Promise.resolve({ notRecords: true });
      return Promise.resolve({ records: e.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })) });
    });
    stream.put(event(2));
    await stream.flush();
    expect(calls).toBe(3);
    expect(stream.stats.failedInvocations).toBe(2);
    expect(stream.stats.ok).toBe(2);
    expect(errorRecords()).toHaveLength(0);
    stream.stop();
  });

  it('sends records without the partition keys the prefix needs to the partitioning-failed output', async () => {
    const stream = new LocalDeliveryStream(config({
      processor, dynamicPartitioning: true, prefix: 'raw/k=!{partitionKeyFromLambda:k}/',
      errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
    }), new S3Client({ region: 'eu-west-1' }), (_arn, e) => Promise.resolve({
      records: e.records.map((r, i) => ({ recordId: r.recordId, result: 'Ok', data: r.data, ...(i === 0 ? { metadata: { partitionKeys: { k: 'v' } } } : {}) })),
    }));
    stream.put(event(2));
    await stream.flush();
    expect(written().map((o) => o.key.split('/').slice(0, 2).join('/')).sort()).toEqual(['errors/partitioning-failed', 'raw/k=v']);
    expect(errorRecords('errors/')[0]!.errorCode).toBe('DynamicPartitioning.MetadataExtractionFailed');
    stream.stop();
  });

  it('keeps data buffered and rejects flush() when S3 refuses the write', async () => {
    s3Mock.on(PutObjectCommand).rejectsOnce(new Error('S3 down')).resolves({});
    const stream = new LocalDeliveryStream(config(), new S3Client({ region: 'eu-west-1' }), () => Promise.reject(new Error('no processor')));
    stream.put([Buffer.from('kept')]);
    await expect(stream.flush()).rejects.toThrow('S3 down');
    expect(stream.stats.objectsWritten).toBe(0);
    await stream.flush();
    expect(stream.stats.objectsWritten).toBe(1);
    expect(text(written()[1]!)).toBe('kept');
    stream.stop();
  });
});

describe('LocalDeliveryStream with record format conversion (JSON → Parquet)', () => {
  const catalog = { catalogId: '000000000000', databaseName: 'shardline_test', tableName: 'clickstream', region: 'eu-west-1' };

  it('writes the transformed records as Parquet, and unreadable ones to format-conversion-failed with the table', async () => {
    const ref: { stream?: LocalDeliveryStream } = {};
    const transform = realTransform(ref);
    let broken = false;
    const stream = new LocalDeliveryStream(config({
      compression: 'UNCOMPRESSED', processor, formatConversion: { catalog, schema: getSchema('clickstream') },
      prefix: 'converted/', errorOutputPrefix: 'errors/!{firehose:error-output-type}/',
    }), new S3Client({ region: 'eu-west-1' }), async (arn, event) => {
      const response = (await transform(arn, event)) as { records: { recordId: string; result: string; data: string }[] };
      // One Ok answer whose data is not a row of the table: conversion must reject that record.
      if (!broken) {
        broken = true;
        response.records[0]!.data = Buffer.from('{"event_id": 42}\n').toString('base64');
      }
      return response;
    });
    ref.stream = stream;
    const rows = generateClickstreamRows(50, { seed: 5 });
    stream.put(rows.map((row) => Buffer.from(formatCsvRows([row]))));
    await stream.flush();

    const objects = written();
    const parquet = objects.filter((o) => o.key.startsWith('converted/'));
    expect(parquet).toHaveLength(1);
    expect(parquet[0]!.key).not.toMatch(/\.gz$/);
    const dir = await mkdtemp(join(tmpdir(), 'firehose-parquet-'));
    try {
      const file = join(dir, 'x.parquet');
      await writeFile(file, parquet[0]!.body);
      const inspector = await ParquetInspector.open();
      // The 49 rows that went through: all but the first record's row, typed as the transform typed them.
      const decode = compileRowDecoder(getSchema('clickstream'));
      const expected = rows.slice(1).map((fields) => {
        const decoded = decode(fields);
        if (!decoded.ok) throw new Error(decoded.error.reason);
        return decoded.row as { event_id: string; duration_ms: number; revenue: number | null; referrer: string | null; timestamp: string };
      });
      const [stats] = await inspector.query(
        `SELECT count(*) AS n, sum(duration_ms) AS d, count(revenue) AS r, round(sum(revenue), 2) AS rs, count(referrer) AS refs FROM read_parquet(${literal(file)})`,
      );
      expect(Number(stats!.n)).toBe(49);
      expect(Number(stats!.d)).toBe(expected.reduce((sum, r) => sum + r.duration_ms, 0));
      expect(Number(stats!.r)).toBe(expected.filter((r) => r.revenue !== null).length);
      expect(Number(stats!.rs)).toBeCloseTo(expected.reduce((sum, r) => sum + (r.revenue ?? 0), 0), 2);
      expect(Number(stats!.refs)).toBe(expected.filter((r) => r.referrer !== null).length);
      const sample = expected[17]!;
      const [row] = await inspector.query(`SELECT epoch_ms("timestamp") AS ms, duration_ms FROM read_parquet(${literal(file)}) WHERE event_id = ${literal(sample.event_id)}`);
      expect(Number(row!.ms)).toBe(Date.parse(sample.timestamp));
      expect(Number(row!.duration_ms)).toBe(sample.duration_ms);
      expect((await inspector.columnTypes(file)).timestamp).toBe('TIMESTAMP WITH TIME ZONE');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const failures = errorRecords('errors/');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ errorCode: 'DataFormatConversion.MalformedData', dataCatalogTable: { databaseName: 'shardline_test', tableName: 'clickstream' } });
    expect(objects.find((o) => o.key.startsWith('errors/'))!.key).toMatch(/^errors\/format-conversion-failed\//);
    expect(stream.stats.ok).toBe(49);
    stream.stop();
  });
});

/**
 * One raw NDJSON object (plain or GZIP, as Firehose wrote it) to one Parquet object in the
 * curated zone, with its bad lines — each with its line number and reason — written beside it
 * under the error prefix. Nothing is lost: every line ends in the Parquet file or the error
 * object, and the counts say so.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DuckDbParquetEngine } from '../formats/parquet';
import { convertNdjsonToParquet } from '../formats/parquet';
import type { DatasetSchema } from '../schemas/dataset-schema';
import type { CuratedLayout } from './curated-key';
import { curatedKeyOf, DEFAULT_LAYOUT, errorKeyOf } from './curated-key';

export interface RawToParquetResult {
  readonly sourceKey: string;
  readonly curatedKey: string;
  /** The error object's key, when there were bad lines. */
  readonly errorKey?: string;
  readonly lines: number;
  readonly rows: number;
  readonly badLines: number;
  readonly blankLines: number;
  readonly parquetBytes: number;
}

export interface RawToParquetDeps {
  readonly s3: S3Client;
  readonly engine: DuckDbParquetEngine;
  readonly schema: DatasetSchema;
  readonly layout?: CuratedLayout;
  /** Where the Parquet file is staged (`/tmp` in Lambda). */
  readonly workDirectory?: string;
}

export async function rawObjectToParquet(bucket: string, key: string, deps: RawToParquetDeps): Promise<RawToParquetResult> {
  const layout = deps.layout ?? DEFAULT_LAYOUT;
  const curatedKey = curatedKeyOf(key, layout);
  const object = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = object.Body as Readable;
  const gzip = key.endsWith('.gz') || object.ContentEncoding === 'gzip';
  // pipeline(), not pipe(): a corrupt GZIP stream must fail this call (and so the invocation,
  // for Lambda's retries and on-failure destination), not crash the process with an unhandled error.
  let source: Readable = body;
  if (gzip) {
    const gunzip = createGunzip();
    pipeline(body, gunzip).catch(() => undefined); // the error reaches the reader through `gunzip`
    source = gunzip;
  }

  const dir = await mkdtemp(join(deps.workDirectory ?? tmpdir(), 'shardline-curated-'));
  try {
    const output = join(dir, 'out.parquet');
    // Every bad line is kept: the error object must let each one be found and replayed.
    const result = await convertNdjsonToParquet(source, output, deps.schema, { engine: deps.engine, workDirectory: dir, maxBadLinesKept: Number.MAX_SAFE_INTEGER });
    await deps.s3.send(new PutObjectCommand({ Bucket: bucket, Key: curatedKey, Body: await readFile(output), ContentType: 'application/vnd.apache.parquet' }));
    let errorKey: string | undefined;
    if (result.badLines.count > 0) {
      errorKey = errorKeyOf(key, layout);
      const lines = result.badLines.kept.map((bad) => JSON.stringify({
        sourceBucket: bucket, sourceKey: key, lineNumber: bad.lineNumber, reason: bad.reason,
        line: typeof bad.line === 'string' ? bad.line : Buffer.from(bad.line).toString('base64'),
        ...(typeof bad.line === 'string' ? {} : { lineEncoding: 'base64' }),
      }) + '\n');
      await deps.s3.send(new PutObjectCommand({ Bucket: bucket, Key: errorKey, Body: lines.join(''), ContentType: 'application/x-ndjson' }));
    }
    return {
      sourceKey: key, curatedKey, ...(errorKey ? { errorKey } : {}),
      lines: result.lines, rows: result.rows, badLines: result.badLines.count, blankLines: result.blankLines, parquetBytes: result.bytes,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

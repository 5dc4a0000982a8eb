/**
 * One local Firehose delivery stream (Direct PUT → optional Lambda transform → S3), with the
 * semantics of AWS rather than a pass-through:
 * - records are buffered for the processor by its size/interval hints and sent in
 *   transformation events of at most that size;
 * - an invocation that throws or answers with something unusable is retried `NumberOfRetries`
 *   times, then every record of the batch goes to the error output (`Lambda.FunctionError`);
 * - each answer is checked (missing/duplicated ids), `Ok` is delivered, `Dropped` discarded,
 *   `ProcessingFailed` written to the error output in AWS's JSON shape;
 * - delivered data is buffered per partition by the destination's size/interval hints and
 *   written as one S3 object per flush, named as Firehose names them, GZIP when configured.
 * Nothing is lost silently: every record ends in an S3 object (data or error output), is
 * dropped by the transform's own `Dropped`, or stays buffered until `flush()` says otherwise.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { FirehoseTransformationEvent, FirehoseTransformationEventRecord } from '../../firehose/transformation-contract';
import { LAMBDA_RESPONSE_LIMIT_BYTES } from '../../firehose/transformation-contract';
import type { CheckedAnswer, RecordError } from './response-check';
import { checkResponse, FIREHOSE_ERRORS, isRecordError } from './response-check';
import { DEFAULT_PREFIX, evaluatePrefix, objectSuffix, PrefixEvaluationError } from './prefix';
import type { DatasetSchema } from '../../schemas/dataset-schema';
import type { RowChecker } from '../../formats/parquet/ndjson-row-check';
import { compileRowCheck } from '../../formats/parquet/ndjson-row-check';
import { convertNdjsonToParquet, DuckDbParquetEngine } from '../../formats/parquet';

const MiB = 1024 * 1024;

export interface ProcessorConfig {
  readonly lambdaArn: string;
  /** `BufferSizeInMBs` of the Lambda processor (0.2–3, default 1). */
  readonly bufferSizeMb: number;
  /** `BufferIntervalInSeconds` of the Lambda processor (0–900, default 60). */
  readonly bufferIntervalSeconds: number;
  /** `NumberOfRetries` (0–300, default 3). */
  readonly numberOfRetries: number;
}

/** Record format conversion (JSON → Parquet, Snappy) against a Glue table, as Firehose does it. */
export interface FormatConversionConfig {
  readonly catalog: { readonly catalogId: string; readonly databaseName: string; readonly tableName: string; readonly region: string };
  /** The dataset the Glue table was generated from: its columns are the Parquet columns. */
  readonly schema: DatasetSchema;
}

export interface DeliveryStreamConfig {
  readonly name: string;
  readonly region: string;
  readonly accountId: string;
  readonly bucket: string;
  readonly prefix?: string;
  readonly errorOutputPrefix?: string;
  readonly compression: 'UNCOMPRESSED' | 'GZIP';
  /** The destination's `BufferingHints`. */
  readonly buffering: { readonly sizeMb: number; readonly intervalSeconds: number };
  readonly dynamicPartitioning: boolean;
  readonly processor?: ProcessorConfig;
  readonly formatConversion?: FormatConversionConfig;
  /** Server-side encryption of the stream (reported back by PutRecord/PutRecordBatch). */
  readonly encrypted: boolean;
}

/** Invokes a Lambda function by ARN with an event and returns its (JSON) result. */
export type LambdaInvoker = (lambdaArn: string, event: FirehoseTransformationEvent) => Promise<unknown>;

export interface DeliveryStreamStats {
  received: number;
  invocations: number;
  failedInvocations: number;
  ok: number;
  dropped: number;
  /** Records written to the error output, by error code. */
  failed: Record<string, number>;
  objectsWritten: number;
  bytesWritten: number;
}

interface BufferedRecord {
  readonly recordId: string;
  readonly arrivalMs: number;
  readonly data: Buffer;
}

/** Data waiting to be written as one S3 object. */
interface ObjectBuffer {
  readonly prefix: { readonly template: string; readonly errorOutputType?: string; readonly partitionKeys?: Readonly<Record<string, string>> };
  readonly parts: Buffer[];
  bytes: number;
  oldestArrivalMs: number;
  timer?: NodeJS.Timeout;
}

export class LocalDeliveryStream {
  readonly arn: string;
  readonly stats: DeliveryStreamStats = { received: 0, invocations: 0, failedInvocations: 0, ok: 0, dropped: 0, failed: {}, objectsWritten: 0, bytesWritten: 0 };
  private sequence = 0;
  private pending: BufferedRecord[] = [];
  private pendingBytes = 0;
  private pendingTimer: NodeJS.Timeout | undefined;
  private readonly objects = new Map<string, ObjectBuffer>();
  /** Processing and delivery run one step at a time, in order. */
  private work: Promise<void> = Promise.resolve();
  private workError: unknown;
  private readonly checkRow: RowChecker | undefined;
  private engine: Promise<DuckDbParquetEngine> | undefined;

  constructor(
    readonly config: DeliveryStreamConfig,
    private readonly s3: S3Client,
    private readonly invoke: LambdaInvoker,
  ) {
    this.arn = `arn:aws:firehose:${config.region}:${config.accountId}:deliverystream/${config.name}`;
    this.checkRow = config.formatConversion ? compileRowCheck(config.formatConversion.schema) : undefined;
  }

  /** Accepts records (already validated against the API limits); returns their record ids. */
  put(records: readonly Uint8Array[]): string[] {
    const arrivalMs = Date.now();
    const ids = records.map((data) => {
      const recordId = `${arrivalMs}${String(this.sequence++).padStart(20, '0')}`.padStart(56, '0');
      this.pending.push({ recordId, arrivalMs, data: Buffer.from(data) });
      this.pendingBytes += data.byteLength;
      return recordId;
    });
    this.stats.received += records.length;
    const processor = this.config.processor;
    const limit = (processor ? processor.bufferSizeMb : this.config.buffering.sizeMb) * MiB;
    if (this.pendingBytes >= limit) this.enqueue(() => this.processPending(false));
    else this.pendingTimer ??= setTimeout(() => this.enqueue(() => this.processPending(true)), (processor?.bufferIntervalSeconds ?? 0) * 1000).unref();
    return ids;
  }

  /** Processes everything buffered and writes every buffered object now; rejects if a step failed. */
  async flush(): Promise<void> {
    this.enqueue(() => this.processPending(true));
    this.enqueue(() => this.writeObjects(() => true));
    await this.work;
    if (this.workError) {
      const error = this.workError;
      this.workError = undefined;
      throw error instanceof Error ? error : new Error('a delivery step failed', { cause: error });
    }
  }

  /** Stops the timers; buffered data stays (call `flush()` first to deliver it). */
  stop(): void {
    clearTimeout(this.pendingTimer);
    for (const buffer of this.objects.values()) clearTimeout(buffer.timer);
    void this.engine?.then((engine) => engine.close());
    this.engine = undefined;
  }

  private enqueue(step: () => Promise<void>): void {
    this.work = this.work.then(step).catch((error: unknown) => {
      this.workError ??= error;
    });
  }

  /** Sends buffered records to the processor in batches of at most its buffer size. */
  private async processPending(all: boolean): Promise<void> {
    clearTimeout(this.pendingTimer);
    this.pendingTimer = undefined;
    const processor = this.config.processor;
    const limit = (processor ? processor.bufferSizeMb : this.config.buffering.sizeMb) * MiB;
    while (this.pending.length > 0 && (all || this.pendingBytes >= limit)) {
      let bytes = 0;
      let count = 0;
      while (count < this.pending.length && (count === 0 || bytes + this.pending[count]!.data.length <= limit)) {
        bytes += this.pending[count]!.data.length;
        count++;
      }
      const batch = this.pending.splice(0, count);
      this.pendingBytes -= bytes;
      if (processor) await this.transform(batch, processor);
      else for (const record of batch) this.deliver(record, record.data, undefined);
    }
    if (this.pending.length > 0) {
      this.pendingTimer = setTimeout(() => this.enqueue(() => this.processPending(true)), (processor?.bufferIntervalSeconds ?? 0) * 1000).unref();
    }
    await this.writeObjects((buffer) => buffer.bytes >= this.config.buffering.sizeMb * MiB);
  }

  private async transform(batch: readonly BufferedRecord[], processor: ProcessorConfig): Promise<void> {
    const records: FirehoseTransformationEventRecord[] = batch.map((r) => ({ recordId: r.recordId, approximateArrivalTimestamp: r.arrivalMs, data: r.data.toString('base64') }));
    const event: FirehoseTransformationEvent = { invocationId: randomUUID(), deliveryStreamArn: this.arn, region: this.config.region, records };
    let answers: Map<string, CheckedAnswer> | undefined;
    let attempts = 0;
    while (!answers && attempts <= processor.numberOfRetries) {
      attempts++;
      this.stats.invocations++;
      try {
        const response = await this.invoke(processor.lambdaArn, event);
        // Lambda itself refuses a response over its limit: the invocation fails.
        answers = Buffer.byteLength(JSON.stringify(response) ?? '') <= LAMBDA_RESPONSE_LIMIT_BYTES ? checkResponse(event, response) : undefined;
      } catch {
        answers = undefined;
      }
      if (!answers) this.stats.failedInvocations++;
    }
    for (const record of batch) {
      const answer = answers?.get(record.recordId) ?? FIREHOSE_ERRORS.functionError;
      if (isRecordError(answer)) this.fail(record, answer, attempts, processor.lambdaArn);
      else if (answer.result === 'ProcessingFailed') this.fail(record, FIREHOSE_ERRORS.processingFailed, attempts, processor.lambdaArn);
      else if (answer.result === 'Dropped') this.stats.dropped++;
      else this.deliver(record, Buffer.from(answer.data, 'base64'), answer.metadata?.partitionKeys);
    }
  }

  private deliver(record: BufferedRecord, data: Buffer, partitionKeys: Readonly<Record<string, string>> | undefined): void {
    const template = this.config.prefix ?? DEFAULT_PREFIX;
    if (this.config.dynamicPartitioning) {
      try {
        evaluatePrefix(template, { arrivalMs: record.arrivalMs, ...(partitionKeys ? { partitionKeys } : {}) });
      } catch (error) {
        if (!(error instanceof PrefixEvaluationError)) throw error;
        this.failOutput(record, 'partitioning-failed', { errorCode: 'DynamicPartitioning.MetadataExtractionFailed', errorMessage: error.message });
        return;
      }
    }
    if (this.checkRow && !this.convertible(record, data)) return;
    this.stats.ok++;
    const keys = this.config.dynamicPartitioning ? partitionKeys : undefined;
    this.append(`data:${JSON.stringify(keys ?? {})}`, { template, ...(keys ? { partitionKeys: keys } : {}) }, data, record.arrivalMs);
  }

  /**
   * Format conversion reads each record as JSON objects of the Glue table's columns; a record
   * it cannot read goes whole to the `format-conversion-failed` error output, with the table.
   */
  private convertible(record: BufferedRecord, data: Buffer): boolean {
    const lines = data.toString('utf8').split('\n').filter((line) => line.trim() !== '');
    let reason: string | undefined;
    for (const line of lines) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        reason = 'not valid JSON';
        break;
      }
      const checked = this.checkRow!(value);
      if (!checked.ok) {
        reason = checked.reason;
        break;
      }
    }
    if (reason === undefined) return true;
    const { catalog } = this.config.formatConversion!;
    this.failOutput(record, 'format-conversion-failed', { errorCode: 'DataFormatConversion.MalformedData', errorMessage: reason }, {
      dataCatalogTable: { catalogId: catalog.catalogId, databaseName: catalog.databaseName, tableName: catalog.tableName, region: catalog.region, versionId: 'LATEST' },
    });
    return false;
  }

  private fail(record: BufferedRecord, error: RecordError, attemptsMade: number, lambdaArn: string): void {
    this.failOutput(record, 'processing-failed', error, { attemptsMade, lambdaArn });
  }

  /** An error record in AWS's shape, to the error output prefix. */
  private failOutput(record: BufferedRecord, errorOutputType: string, error: RecordError, extra: { attemptsMade?: number; lambdaArn?: string; dataCatalogTable?: Record<string, string> } = {}): void {
    this.stats.failed[error.errorCode] = (this.stats.failed[error.errorCode] ?? 0) + 1;
    const line = JSON.stringify({
      attemptsMade: extra.attemptsMade ?? 1,
      arrivalTimestamp: record.arrivalMs,
      errorCode: error.errorCode,
      errorMessage: error.errorMessage,
      attemptEndingTimestamp: Date.now(),
      rawData: record.data.toString('base64'),
      ...(extra.lambdaArn ? { lambdaArn: extra.lambdaArn } : {}),
      ...(extra.dataCatalogTable ? { dataCatalogTable: extra.dataCatalogTable } : {}),
    }) + '\n';
    const template = this.config.errorOutputPrefix ?? `!{firehose:error-output-type}/${DEFAULT_PREFIX}`;
    this.append(`error:${errorOutputType}`, { template, errorOutputType }, Buffer.from(line), record.arrivalMs);
  }

  private append(key: string, prefix: ObjectBuffer['prefix'], data: Buffer, arrivalMs: number): void {
    let buffer = this.objects.get(key);
    if (!buffer) {
      buffer = { prefix, parts: [], bytes: 0, oldestArrivalMs: arrivalMs };
      buffer.timer = setTimeout(() => this.enqueue(() => this.writeObjects((b) => b === buffer)), this.config.buffering.intervalSeconds * 1000).unref();
      this.objects.set(key, buffer);
    }
    buffer.parts.push(data);
    buffer.bytes += data.length;
    buffer.oldestArrivalMs = Math.min(buffer.oldestArrivalMs, arrivalMs);
  }

  /** Writes the chosen buffers as S3 objects; a buffer leaves memory only once S3 has it. */
  private async writeObjects(choose: (buffer: ObjectBuffer) => boolean): Promise<void> {
    for (const [key, buffer] of [...this.objects]) {
      if (!choose(buffer)) continue;
      clearTimeout(buffer.timer);
      // Converted data is Parquet (Snappy inside); Firehose then writes it uncompressed.
      const convert = this.config.formatConversion !== undefined && buffer.prefix.errorOutputType === undefined;
      const gzip = !convert && this.config.compression === 'GZIP';
      const body = convert ? await this.toParquet(buffer.parts) : gzip ? gzipSync(Buffer.concat(buffer.parts)) : Buffer.concat(buffer.parts);
      const objectKey = evaluatePrefix(buffer.prefix.template, {
        arrivalMs: buffer.oldestArrivalMs,
        ...(buffer.prefix.errorOutputType ? { errorOutputType: buffer.prefix.errorOutputType } : {}),
        ...(buffer.prefix.partitionKeys ? { partitionKeys: buffer.prefix.partitionKeys } : {}),
      }) + objectSuffix(this.config.name, 1, Date.now(), gzip ? '.gz' : '');
      await this.s3.send(new PutObjectCommand({ Bucket: this.config.bucket, Key: objectKey, Body: body }));
      this.objects.delete(key);
      this.stats.objectsWritten++;
      this.stats.bytesWritten += body.length;
    }
  }

  private async toParquet(parts: readonly Buffer[]): Promise<Buffer> {
    this.engine ??= DuckDbParquetEngine.open({ threads: 1 });
    const dir = await mkdtemp(join(tmpdir(), 'shardline-firehose-parquet-'));
    try {
      const file = join(dir, 'object.parquet');
      const result = await convertNdjsonToParquet(parts, file, this.config.formatConversion!.schema, { engine: await this.engine, workDirectory: dir });
      // Records were checked on delivery: a bad line here is a bug, not data to drop.
      if (result.badLines.count > 0) throw new Error(`format conversion found ${result.badLines.count} unreadable lines after the record check`);
      return await readFile(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

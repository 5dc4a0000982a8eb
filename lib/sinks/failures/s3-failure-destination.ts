/**
 * Poison records as S3 objects, one per user record, under
 * `<prefix>YYYY/MM/DD/<shardId>/<sequenceNumber>-<subSequenceNumber>.json` (the day the record
 * reached the stream). The key is a function of the record alone, so a replayed batch writes
 * the same objects again instead of adding copies. S3 rather than SQS: the payload can be up to
 * 1 MiB, and objects keep it whole. The bucket's default encryption (SSE-KMS) applies.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { FailureDestination, PoisonRecord } from './failure-destination';

export interface S3FailureDestinationOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** e.g. `failed/kinesis-to-dynamodb/`. */
  readonly prefix: string;
  /** The function that routed the records, written into each object. */
  readonly functionName: string;
  /** Objects written at once (default 16). */
  readonly concurrency?: number;
}

/** What one object holds: the record's origin, the reason, and the payload (base64, and as text when it is UTF-8). */
export interface PoisonRecordDocument {
  readonly function: string;
  readonly reason: PoisonRecord['reason'];
  readonly origin: PoisonRecord['origin'] & { readonly arrivalTime: string };
  readonly dataBase64: string;
  readonly dataText?: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function textOf(data: Buffer): string | undefined {
  try {
    return decoder.decode(data);
  } catch {
    return undefined;
  }
}

export function poisonRecordKey(prefix: string, record: PoisonRecord): string {
  const day = new Date(record.origin.arrivalMs).toISOString().slice(0, 10).replace(/-/g, '/');
  return `${prefix}${day}/${record.origin.shardId}/${record.origin.sequenceNumber}-${record.origin.subSequenceNumber}.json`;
}

export class S3FailureDestination implements FailureDestination {
  constructor(private readonly options: S3FailureDestinationOptions) {}

  async write(records: readonly PoisonRecord[]): Promise<void> {
    const { s3, bucket, prefix, functionName } = this.options;
    const queue = [...records];
    const errors: unknown[] = [];
    const worker = async (): Promise<void> => {
      for (let record = queue.shift(); record; record = queue.shift()) {
        const text = textOf(record.data);
        const document: PoisonRecordDocument = {
          function: functionName,
          reason: record.reason,
          origin: { ...record.origin, arrivalTime: new Date(record.origin.arrivalMs).toISOString() },
          dataBase64: record.data.toString('base64'),
          ...(text === undefined ? {} : { dataText: text }),
        };
        try {
          await s3.send(new PutObjectCommand({
            Bucket: bucket, Key: poisonRecordKey(prefix, record), Body: JSON.stringify(document), ContentType: 'application/json',
          }));
        } catch (error) {
          errors.push(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 16, records.length) }, worker));
    if (errors.length > 0) throw new FailureDestinationError(errors.length, records.length, errors[0]);
  }
}

/** Some poison records could not be stored: the batch must not move past them. */
export class FailureDestinationError extends Error {
  override readonly name = 'FailureDestinationError';

  constructor(readonly failed: number, readonly total: number, cause: unknown) {
    super(`${failed} of ${total} poison records could not be written to the failure destination: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * The first step of every SQS batch: each record's body resolved (from S3 when it is an Amazon SQS
 * Extended Client pointer) and decoded into a value for the store, or classified as failed —
 * poison when it can never succeed, transient when S3 could not be read just now.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSRecord } from 'aws-lambda';
import { forEachConcurrently } from '../../sinks/dynamodb/concurrency';
import type { S3Pointer } from '../extended-payload';
import { ExtendedPayloadError, resolveMessageBody } from '../extended-payload';
import type { MessageDecoder, MessageFailure } from './message-outcome';

/** A record of the batch after resolution and decoding: a value for the store, or a failure. */
export type PreparedMessage<T> =
  | { readonly record: SQSRecord; readonly pointer?: S3Pointer; readonly ok: true; readonly value: T }
  | { readonly record: SQSRecord; readonly pointer?: S3Pointer; readonly ok: false; readonly failure: MessageFailure };

export interface PrepareOptions<T> {
  readonly decode: MessageDecoder<T>;
  /** Reads the S3 object of pointer messages. */
  readonly s3: S3Client;
  /** S3 reads in flight at once. Default 10. */
  readonly concurrency?: number;
}

const errorName = (error: unknown): string => (error instanceof Error ? error.name : 'Error');
const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function prepareOne<T>(record: SQSRecord, options: PrepareOptions<T>): Promise<PreparedMessage<T>> {
  let body: string;
  let pointer: S3Pointer | undefined;
  try {
    ({ body, pointer } = await resolveMessageBody({ body: record.body, messageAttributes: record.messageAttributes }, options.s3));
  } catch (error) {
    // A bad pointer or a missing object cannot get better; anything else (S3 throttled, a 5xx, the
    // network) may on the next delivery.
    const failure: MessageFailure = error instanceof ExtendedPayloadError
      ? { kind: 'poison', poison: 'payload', code: error.name, message: error.message }
      : { kind: 'transient', code: errorName(error), message: `payload not read from S3: ${errorText(error)}` };
    return { record, ok: false, failure };
  }
  const decoded = options.decode(body, record);
  const withPointer = pointer === undefined ? {} : { pointer };
  if (decoded.ok) return { record, ...withPointer, ok: true, value: decoded.value };
  const { kind, field, reason } = decoded.error;
  return {
    record,
    ...withPointer,
    ok: false,
    failure: { kind: 'poison', poison: kind, code: kind === 'undecodable' ? 'UndecodableBody' : 'SchemaViolation', message: reason, ...(field === undefined ? {} : { field }) },
  };
}

/** Resolves and decodes every record, in batch order. Never throws for a record's content or S3's errors. */
export async function prepareMessages<T>(records: readonly SQSRecord[], options: PrepareOptions<T>): Promise<PreparedMessage<T>[]> {
  const prepared = new Array<PreparedMessage<T>>(records.length);
  await forEachConcurrently(records.map((record, index) => ({ record, index })), options.concurrency ?? 10, async ({ record, index }) => {
    prepared[index] = await prepareOne(record, options);
  });
  return prepared;
}

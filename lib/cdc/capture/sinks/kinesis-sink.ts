/**
 * Writes changes to a Kinesis data stream as AWS DMS does: one record per change, DMS's Kinesis
 * JSON (formats/dms-kinesis.ts), partition key `schema.table.<primary key>` so that every change
 * of a row lands on one shard. Through the {@link KinesisProducer} (batching, retries of failed
 * entries), with two settings forced for a change stream:
 *  - no KPL aggregation: DMS writes plain records, and Lambda's event source mapping does not
 *    de-aggregate;
 *  - one `PutRecords` request in flight by default, so requests land in order.
 * A write resolves only when `PutRecords` succeeded for every record of it; otherwise it rejects
 * with {@link SinkWriteError} (records that did land are delivered again after a restart).
 *
 * Order within a key: Kinesis keeps a shard's records in arrival order, but an entry that failed
 * (throttled) and was resent lands after the later entries of its request that succeeded. The
 * replay orders by the position each message carries (`commit-lsn`, `transaction-record-id`).
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { ChangeEvent } from '../../change-event';
import { encodeDmsKinesisMessage, type DmsKinesisEncodeOptions } from '../../formats/dms-kinesis';
import { KinesisProducer, type KinesisProducerOptions, type ProducerFailure, type ProducerReport } from '../../../kinesis/producer';
import { SinkWriteError, type CaptureSink } from '../sink';

export interface KinesisSinkOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  readonly streamArn?: string;
  /** DMS endpoint settings of the messages (message format, partition key, NULL columns …). */
  readonly encoding?: Omit<DmsKinesisEncodeOptions, 'timestamp' | 'previousTransaction'>;
  /** Producer settings; aggregation is always off. `maxConcurrentRequests` defaults to 1 (order). */
  readonly producer?: Omit<KinesisProducerOptions, 'client' | 'streamName' | 'streamArn' | 'aggregate' | 'onFailure'>;
}

/** Up to this many failures are named in a write's error message. */
const FAILURES_IN_MESSAGE = 3;

export class KinesisSink implements CaptureSink {
  private readonly producer: KinesisProducer;
  private readonly encoding: KinesisSinkOptions['encoding'];
  private failures: ProducerFailure[] = [];
  private failureCount = 0;
  /** The last transaction written: DMS's `prev-transaction-id` of the next one. */
  private previous: { transactionId: string; recordId: number } | undefined;
  private current: { transactionId: string; recordId: number } | undefined;
  /** Bytes of message data encoded. */
  bytes = 0;
  /** Records written. */
  records = 0;

  constructor(options: KinesisSinkOptions) {
    this.encoding = options.encoding;
    this.producer = new KinesisProducer({
      maxConcurrentRequests: 1,
      ...options.producer,
      client: options.client,
      streamName: options.streamName,
      ...(options.streamArn ? { streamArn: options.streamArn } : {}),
      aggregate: false,
      onFailure: (failure) => {
        this.failureCount++;
        if (this.failures.length < FAILURES_IN_MESSAGE) this.failures.push(failure);
      },
    });
  }

  async write(changes: readonly ChangeEvent[]): Promise<void> {
    this.failures = [];
    this.failureCount = 0;
    const timestamp = new Date();
    for (const change of changes) {
      const { data, partitionKey } = encodeDmsKinesisMessage(change, { ...this.encoding, timestamp, ...(this.previousFor(change) ?? {}) });
      this.bytes += data.length;
      await this.producer.put(data, { partitionKey });
    }
    await this.producer.flush();
    if (this.failureCount > 0) {
      const named = this.failures.map((f) => `${f.errorCode} (${f.partitionKey}): ${f.errorMessage}`).join('; ');
      throw new SinkWriteError(`${this.failureCount} of ${changes.length} record(s) not written to Kinesis: ${named}`, this.failureCount, changes.length);
    }
    this.records += changes.length;
  }

  /** DMS's `prev-transaction-*` fields: the transaction before the change's, and its last record id. */
  private previousFor(change: ChangeEvent): { previousTransaction: { transactionId: string; recordId: number } } | undefined {
    const id = change.transactionId;
    if (id === undefined) return undefined;
    if (this.current?.transactionId !== id) {
      if (this.current) this.previous = this.current;
      this.current = { transactionId: id, recordId: 0 };
    }
    this.current.recordId = change.position.sequence + 1;
    return this.previous ? { previousTransaction: { ...this.previous } } : undefined;
  }

  /** What the producer wrote so far. */
  report(): ProducerReport {
    return this.producer.snapshot();
  }

  /** Flushes and closes the producer; returns its final report. */
  close(): Promise<ProducerReport> {
    return this.producer.close();
  }
}

/** What a send did: every message is either in `sent` or in `failed`, never dropped. */
import type { S3Pointer } from '../extended-payload';
import type { OutgoingMessage } from './outgoing-message';

/** A message SQS accepted. */
export interface SentMessage {
  /** Position in the array given to `send`. */
  readonly index: number;
  readonly messageId: string;
  /** FIFO queues only. */
  readonly sequenceNumber?: string;
  /** Set when the body was offloaded to S3. */
  readonly pointer?: S3Pointer;
}

/** A message that was not sent, with the last word on why. */
export interface SendFailure {
  readonly index: number;
  readonly message: OutgoingMessage;
  /** A {@link SendFailureCode}, an entry's `Code` (e.g. `InternalError`, `InvalidMessageContents`), or a whole request's error name. */
  readonly code: string;
  readonly reason: string;
  /** True when the request was wrong (not retried: it would fail again); false for server faults still failing after the last attempt. */
  readonly senderFault: boolean;
  /** `SendMessageBatch` attempts that carried it (0: refused before any request). */
  readonly attempts: number;
  /** The payload written to S3 for it, now referenced by no message (delete it, or let a lifecycle rule). */
  readonly pointer?: S3Pointer;
}

export interface SendReport {
  /** Messages given. */
  readonly messages: number;
  /** In input order. */
  readonly sent: readonly SentMessage[];
  /** In input order. */
  readonly failed: readonly SendFailure[];
  /** `SendMessageBatch` calls made. */
  readonly requests: number;
  /** Entries sent again after a failed attempt. */
  readonly retriedEntries: number;
  /** Messages whose body went through S3. */
  readonly offloaded: number;
  /**
   * FIFO groups whose order the queue may not keep: only in `fifoOrdering: 'grouped'`, when a
   * message failed (for a while or for good) after a later one of its group in the same batch
   * was accepted. Always empty in the default `'strict'` ordering.
   */
  readonly outOfOrderGroups: readonly string[];
}

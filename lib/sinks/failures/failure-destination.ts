/**
 * Where a consumer puts the records it cannot load (undecodable, schema-invalid, rejected by the
 * store): with their payload and the reason, so that nobody has to dig through logs to replay
 * them. Writing there is what lets the shard move on; a record is never just dropped.
 */
import type { RecordOrigin } from '../../kinesis/consumer/unpack-batch';

/** Why a record is a poison record. */
export interface PoisonReason {
  /** `undecodable` (not a KPL aggregate/JSON), `invalid` (breaks the schema), `rejected` (the store refused it). */
  readonly kind: 'undecodable' | 'invalid' | 'rejected';
  /** The field at fault, when one is. */
  readonly field?: string | undefined;
  /** The store's error code for `rejected`, e.g. `mapper_parsing_exception`. */
  readonly code?: string | undefined;
  readonly message: string;
}

export interface PoisonRecord {
  readonly origin: RecordOrigin;
  /** The user record's bytes, as they arrived. */
  readonly data: Buffer;
  readonly reason: PoisonReason;
}

export interface FailureDestination {
  /**
   * Stores the records (idempotently: writing one twice leaves one copy) and resolves when all
   * are stored; rejects if any could not be, and then the caller must not move past them.
   */
  write(records: readonly PoisonRecord[]): Promise<void>;
}

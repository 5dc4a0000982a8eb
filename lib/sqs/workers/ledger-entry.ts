/**
 * The FIFO worker's job: postings to account ledgers, sent through a FIFO queue with one message
 * group per account, so that SQS hands each account's entries over in the order they were sent.
 * One entry per message, as `schemas/ledger-entry.json`.
 */
import type { SQSRecord } from 'aws-lambda';
import type { DecodeResult } from '../batch/message-outcome';
import { decodeJsonMessage } from './json-message';

/** A valid ledger entry; `booked_at` is ISO-8601 UTC with milliseconds, `amount` an exact decimal text. */
export interface LedgerEntry {
  readonly entry_id: string;
  readonly account_id: string;
  readonly sequence: number;
  readonly amount: string;
  readonly currency: string;
  readonly booked_at: string;
  readonly description?: string;
}

/**
 * Decodes one message body into a ledger entry. On a FIFO queue the entry must belong to its
 * message group (`account_id` = `MessageGroupId`): an entry sent in another account's group was
 * ordered against the wrong entries, so it is poison rather than applied out of order.
 */
export function decodeLedgerEntry(body: string, record?: SQSRecord): DecodeResult<LedgerEntry> {
  const decoded = decodeJsonMessage<LedgerEntry>(body, 'ledger-entry');
  const group = record?.attributes.MessageGroupId;
  if (decoded.ok && group !== undefined && decoded.value.account_id !== group) {
    return { ok: false, error: { kind: 'invalid', field: 'account_id', reason: `account ${JSON.stringify(decoded.value.account_id)} sent in message group ${JSON.stringify(group)}` } };
  }
  return decoded;
}

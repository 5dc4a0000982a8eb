/**
 * The standard worker's job: votes of a voting application, buffered through a standard queue on
 * their way to DynamoDB (the queue absorbs bursts at the close of a poll; the table is written at
 * the pace the worker's concurrency allows). One vote per message, as `schemas/vote.json`.
 */
import type { SQSRecord } from 'aws-lambda';
import type { DecodeResult } from '../batch/message-outcome';
import { decodeJsonMessage } from './json-message';

/** A valid vote; `cast_at` is ISO-8601 UTC with milliseconds. */
export interface Vote {
  readonly vote_id: string;
  readonly poll_id: string;
  readonly option: string;
  readonly voter_id: string;
  readonly cast_at: string;
  readonly channel?: 'web' | 'mobile' | 'sms' | 'kiosk';
}

/** Decodes one message body into a vote (the record's attributes play no part). */
export function decodeVote(body: string, _record?: SQSRecord): DecodeResult<Vote> {
  return decodeJsonMessage<Vote>(body, 'vote');
}

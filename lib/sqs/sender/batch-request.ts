/**
 * One batch of messages through `SendMessageBatch`, retrying only the entries SQS reports failed
 * with a server fault ({@link sendWithPartialRetry}). Entries with `SenderFault: true`, and whole
 * requests refused as the caller's fault, are reported at once: sending them again cannot help.
 */
import { SendMessageBatchCommand, type SendMessageBatchCommandOutput, type SQSClient } from '@aws-sdk/client-sqs';
import type { BackoffOptions } from '../../aws/backoff';
import { sendWithPartialRetry, type FailedEntry } from '../../aws/partial-retry';
import { SendFailureCode } from './outgoing-message';
import { entryIdOf, failureOf, toBatchEntry, type PreparedMessage } from './prepared-message';
import type { SendFailure, SentMessage } from './report';

export interface BatchRequestContext {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly maxAttempts: number;
  readonly backoff?: BackoffOptions;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface BatchOutcome {
  readonly sent: readonly SentMessage[];
  readonly failed: readonly SendFailure[];
  /** Attempt (1-based) at which each accepted message's entry succeeded, by index. */
  readonly acceptedAtAttempt: ReadonlyMap<number, number>;
  readonly requests: number;
  readonly retriedEntries: number;
}

/** Whole-request errors worth another attempt: throttling, server faults, and errors without a fault (network, timeouts). */
const THROTTLING = new Set(['RequestThrottled', 'ThrottlingException', 'Throttling', 'KmsThrottled', 'SlowDown']);

export function isRetryableRequestError(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  const { $fault, $retryable } = error as { $fault?: 'client' | 'server'; $retryable?: unknown };
  if ($retryable !== undefined && $retryable !== null && $retryable !== false) return true;
  if (THROTTLING.has(error.name)) return true;
  return $fault !== 'client';
}

const errorName = (error: unknown): string => (error instanceof Error ? error.name : 'Error');
const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Sends the messages (at most one batch's worth) until each is accepted, refused, or out of attempts. */
export async function sendBatch(items: readonly PreparedMessage[], context: BatchRequestContext): Promise<BatchOutcome> {
  const sent: SentMessage[] = [];
  const refused: SendFailure[] = [];
  const acceptedAtAttempt = new Map<number, number>();
  const attemptsOf = new Map<number, number>();
  let attempt = 0;
  let retriedEntries = 0;

  const send = async (batch: readonly PreparedMessage[]): Promise<FailedEntry<PreparedMessage>[]> => {
    attempt++;
    if (attempt > 1) retriedEntries += batch.length;
    for (const item of batch) attemptsOf.set(item.index, (attemptsOf.get(item.index) ?? 0) + 1);
    let response: SendMessageBatchCommandOutput;
    try {
      response = await context.client.send(new SendMessageBatchCommand({ QueueUrl: context.queueUrl, Entries: batch.map(toBatchEntry) }));
    } catch (error) {
      if (isRetryableRequestError(error)) throw error; // counted as every entry failing, and retried
      for (const item of batch) refused.push(failureOf(item, errorName(error), errorText(error), true, attemptsOf.get(item.index) ?? 0));
      return [];
    }
    const pending = new Map(batch.map((item) => [entryIdOf(item), item]));
    for (const ok of response.Successful ?? []) {
      const item = pending.get(ok.Id ?? '');
      if (item === undefined) continue;
      pending.delete(ok.Id!);
      acceptedAtAttempt.set(item.index, attempt);
      sent.push({
        index: item.index,
        messageId: ok.MessageId ?? '',
        ...(ok.SequenceNumber === undefined ? {} : { sequenceNumber: ok.SequenceNumber }),
        ...(item.pointer === undefined ? {} : { pointer: item.pointer }),
      });
    }
    const retry: FailedEntry<PreparedMessage>[] = [];
    for (const failed of response.Failed ?? []) {
      const item = pending.get(failed.Id ?? '');
      if (item === undefined) continue;
      pending.delete(failed.Id!);
      const code = failed.Code ?? 'UnknownError';
      if (failed.SenderFault === true) refused.push(failureOf(item, code, failed.Message ?? '', true, attemptsOf.get(item.index) ?? 0));
      else retry.push({ entry: item, errorCode: code, ...(failed.Message === undefined ? {} : { errorMessage: failed.Message }) });
    }
    for (const item of pending.values()) {
      retry.push({ entry: item, errorCode: SendFailureCode.MissingFromResponse, errorMessage: 'the response named this entry neither successful nor failed' });
    }
    return retry;
  };

  const report = await sendWithPartialRetry(items, send, {
    maxAttempts: context.maxAttempts,
    ...(context.backoff === undefined ? {} : { backoff: context.backoff }),
    ...(context.sleep === undefined ? {} : { sleep: context.sleep }),
  });
  const exhausted = report.failed.map((f) => failureOf(f.entry, f.errorCode, f.errorMessage ?? '', false, attemptsOf.get(f.entry.index) ?? 0));
  return { sent, failed: [...refused, ...exhausted], acceptedAtAttempt, requests: attempt, retriedEntries };
}

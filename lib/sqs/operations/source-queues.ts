/**
 * The queues that dead-letter into a queue. `ListDeadLetterSourceQueues` answers on AWS; where
 * the endpoint lacks it (emulators), every queue's `RedrivePolicy` is read instead.
 */
import { GetQueueAttributesCommand, ListDeadLetterSourceQueuesCommand, ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { forEachWithLimit } from '../sender/concurrency';
import { isUnsupportedOperation } from './errors';
import { parseRedrivePolicy } from './queue-state';

export interface SourceQueues {
  readonly urls: readonly string[];
  /** How they were found. */
  readonly via: 'ListDeadLetterSourceQueues' | 'redrive-policy-scan';
}

export interface FindSourceQueuesOptions {
  /** Most queues read in the fallback scan (default 1,000: one `ListQueues` page). */
  readonly maxScannedQueues?: number;
}

async function listDeadLetterSourceQueues(sqs: SQSClient, deadLetterQueueUrl: string): Promise<string[]> {
  const urls: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: deadLetterQueueUrl, MaxResults: 1000, ...(nextToken ? { NextToken: nextToken } : {}) }));
    urls.push(...(page.queueUrls ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return urls;
}

async function scanRedrivePolicies(sqs: SQSClient, deadLetterQueueArn: string, maxQueues: number): Promise<string[]> {
  const all: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sqs.send(new ListQueuesCommand({ MaxResults: Math.min(1000, maxQueues - all.length), ...(nextToken ? { NextToken: nextToken } : {}) }));
    all.push(...(page.QueueUrls ?? []));
    nextToken = page.NextToken;
  } while (nextToken && all.length < maxQueues);
  const sources: string[] = [];
  await forEachWithLimit(all, 8, async (url) => {
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }));
    if (parseRedrivePolicy(Attributes?.RedrivePolicy)?.deadLetterTargetArn === deadLetterQueueArn) sources.push(url);
  });
  return sources.sort();
}

/** The queues whose redrive policy targets this dead-letter queue. */
export async function findSourceQueues(sqs: SQSClient, deadLetter: { readonly url: string; readonly arn: string }, options: FindSourceQueuesOptions = {}): Promise<SourceQueues> {
  try {
    return { urls: await listDeadLetterSourceQueues(sqs, deadLetter.url), via: 'ListDeadLetterSourceQueues' };
  } catch (error) {
    if (!isUnsupportedOperation(error)) throw error;
  }
  return { urls: await scanRedrivePolicies(sqs, deadLetter.arn, options.maxScannedQueues ?? 1000), via: 'redrive-policy-scan' };
}

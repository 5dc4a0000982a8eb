/** Queues named the ways people name them: a URL, an ARN, or a bare name. */
import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { QueueNotFoundError } from './errors';

/** `arn:<partition>:sqs:<region>:<account>:<name>` */
const QUEUE_ARN = /^arn:[^:]+:sqs:[^:]*:(\d*):(.+)$/;

/** The queue's name, from its URL or ARN (or the name itself). */
export function queueNameOf(ref: string): string {
  const arn = QUEUE_ARN.exec(ref);
  if (arn) return arn[2]!;
  if (/^https?:\/\//.test(ref)) return new URL(ref).pathname.split('/').filter(Boolean).pop() ?? ref;
  return ref;
}

/**
 * The queue's URL: a URL as it is; a name or an ARN through `GetQueueUrl` (with the ARN's account
 * as `QueueOwnerAWSAccountId`).
 * @throws {QueueNotFoundError} when SQS says the queue does not exist.
 */
export async function resolveQueueUrl(sqs: SQSClient, ref: string): Promise<string> {
  if (/^https?:\/\//.test(ref)) return ref;
  const arn = QUEUE_ARN.exec(ref);
  try {
    const { QueueUrl } = await sqs.send(
      new GetQueueUrlCommand({ QueueName: arn ? arn[2]! : ref, ...(arn?.[1] ? { QueueOwnerAWSAccountId: arn[1] } : {}) }),
    );
    if (QueueUrl === undefined) throw new QueueNotFoundError(ref);
    return QueueUrl;
  } catch (error) {
    if (error instanceof Error && /QueueDoesNotExist|NonExistentQueue/.test(error.name)) throw new QueueNotFoundError(ref, { cause: error });
    throw error;
  }
}

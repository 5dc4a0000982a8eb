/** Queue attributes as GetQueueAttributes returns them, for mocked SQS clients. */
export const ACCOUNT = '123456789012';
export const urlOf = (name: string): string => `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/${name}`;
export const arnOf = (name: string): string => `arn:aws:sqs:eu-west-1:${ACCOUNT}:${name}`;

export function queueAttributes(
  name: string,
  counts: { visible?: number; inFlight?: number; delayed?: number } = {},
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    QueueArn: arnOf(name),
    ApproximateNumberOfMessages: String(counts.visible ?? 0),
    ApproximateNumberOfMessagesNotVisible: String(counts.inFlight ?? 0),
    ApproximateNumberOfMessagesDelayed: String(counts.delayed ?? 0),
    VisibilityTimeout: '30',
    MessageRetentionPeriod: '1209600',
    MaximumMessageSize: '1048576',
    ...(name.endsWith('.fifo') ? { FifoQueue: 'true' } : {}),
    ...extra,
  };
}

export const redrivePolicy = (dlqName: string, maxReceiveCount = 5): Record<string, string> => ({
  RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arnOf(dlqName), maxReceiveCount }),
});

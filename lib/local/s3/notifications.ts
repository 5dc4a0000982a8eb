/**
 * S3 event notifications to Lambda for a local S3 that has none: the bucket is watched by
 * listing, and each new object (or new version of a key, by ETag) becomes an
 * `s3:ObjectCreated:Put` event in AWS's shape, sent to every function whose rule matches
 * (event type, key prefix and suffix). As on AWS the invocation is asynchronous: a failure is
 * retried twice, then reported (never dropped in silence).
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';

export interface NotificationRule {
  /** Function key, logical id, name or ARN, as the invoker understands it. */
  readonly function: string;
  /** e.g. `s3:ObjectCreated:*` or `s3:ObjectCreated:Put`. */
  readonly event: string;
  readonly prefix?: string;
  readonly suffix?: string;
}

export interface FailedNotification {
  readonly rule: NotificationRule;
  readonly key: string;
  readonly error: string;
  readonly attempts: number;
}

export type AsyncInvoker = (fn: string, event: S3Event) => Promise<unknown>;

/** Where an event goes once its retries are spent: the function's on-failure destination. */
export type FailureDestination = (failure: FailedNotification, event: S3Event, error: unknown) => Promise<void>;

/** Lambda's asynchronous invocation: the first attempt and two retries. */
const ASYNC_ATTEMPTS = 3;

/** The key as S3 writes it in notifications: URL-encoded, spaces as `+`. */
export const encodeEventKey = (key: string): string => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

export function objectCreatedEvent(bucket: string, key: string, size: number, eTag: string, region = 'eu-west-1', sequencer = Date.now().toString(16).toUpperCase()): S3Event {
  return {
    Records: [{
      eventVersion: '2.1', eventSource: 'aws:s3', awsRegion: region, eventTime: new Date().toISOString(), eventName: 'ObjectCreated:Put',
      userIdentity: { principalId: 'AWS:LOCAL' }, requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: { 'x-amz-request-id': sequencer, 'x-amz-id-2': sequencer },
      s3: {
        s3SchemaVersion: '1.0', configurationId: 'local-notification',
        bucket: { name: bucket, ownerIdentity: { principalId: 'LOCAL' }, arn: `arn:aws:s3:::${bucket}` },
        object: { key: encodeEventKey(key), size, eTag: eTag.replace(/"/g, ''), sequencer },
      },
    }],
  };
}

const matches = (rule: NotificationRule, key: string): boolean =>
  rule.event.startsWith('s3:ObjectCreated:') && (rule.event.endsWith(':*') || rule.event.endsWith(':Put'))
  && key.startsWith(rule.prefix ?? '') && key.endsWith(rule.suffix ?? '');

export class S3NotificationWatcher {
  readonly failed: FailedNotification[] = [];
  delivered = 0;
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    private readonly rules: readonly NotificationRule[],
    private readonly invoke: AsyncInvoker,
    private readonly onFailure?: FailureDestination,
  ) {}

  /** Looks at the bucket every `intervalMs` until `stop()`. */
  start(intervalMs = 250): void {
    this.timer ??= setInterval(() => void this.poll(), intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One look at the bucket, dispatching every new object; resolves when their invocations ended. */
  poll(): Promise<void> {
    this.running = this.running.then(() => this.scan());
    return this.running;
  }

  /** Polls until a look finds nothing new (invoked functions may write objects that trigger others). */
  async drain(maxRounds = 20): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      const before = this.delivered + this.failed.length;
      await this.poll();
      if (this.delivered + this.failed.length === before) return;
    }
  }

  private async scan(): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        const key = object.Key!;
        const eTag = object.ETag ?? '';
        if (this.seen.get(key) === eTag) continue;
        this.seen.set(key, eTag);
        for (const rule of this.rules.filter((r) => matches(r, key))) await this.dispatch(rule, key, object.Size ?? 0, eTag);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async dispatch(rule: NotificationRule, key: string, size: number, eTag: string): Promise<void> {
    const event = objectCreatedEvent(this.bucket, key, size, eTag);
    let lastError: unknown;
    for (let attempt = 1; attempt <= ASYNC_ATTEMPTS; attempt++) {
      try {
        await this.invoke(rule.function, event);
        this.delivered++;
        return;
      } catch (error) {
        lastError = error;
      }
    }
    const failure = { rule, key, error: lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : String(lastError), attempts: ASYNC_ATTEMPTS };
    this.failed.push(failure);
    await this.onFailure?.(failure, event, lastError);
  }
}

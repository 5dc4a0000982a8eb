/** A Lambda `Context` for handlers run locally, with the fields Lambda sets and a real deadline. */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface LocalContextOptions {
  readonly functionName: string;
  readonly region?: string;
  readonly accountId?: string;
  readonly memoryLimitInMB?: number;
  readonly timeoutSeconds?: number;
}

export function localLambdaContext(options: LocalContextOptions): Context {
  const region = options.region ?? 'eu-west-1';
  const deadline = Date.now() + (options.timeoutSeconds ?? 60) * 1000;
  const unsupported = (): never => {
    throw new Error('callback-style completion is not supported: return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${options.accountId ?? '000000000000'}:function:${options.functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 1024),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `local/${randomUUID()}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

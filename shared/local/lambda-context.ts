// A Lambda context object as the runtime passes it, for running handlers in-process (tests,
// benchmarks) rather than through serverless offline.
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/**
 * The context of `functionName`, with `remainingMs` left (fixed).
 *
 * @example await handler(event, localLambdaContext('event-lake-dev-ingestWebhook', { remainingMs: 29_000 }));
 */
export function localLambdaContext(functionName: string, options: { remainingMs?: number; requestId?: string; memoryMb?: number } = {}): Context {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: String(options.memoryMb ?? 1024),
    awsRequestId: options.requestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/26/[$LATEST]abcdef',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => options.remainingMs ?? 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

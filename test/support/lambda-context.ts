// A Lambda context object as the runtime passes it, for invoking handlers in tests.
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** The context of a function named `event-lake-test-<name>` with 60 s left. */
export function lambdaContext(name: string): Context {
  const functionName = `event-lake-test-${name}`;
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/26/[$LATEST]abcdef',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

// A Lambda context object as the runtime passes it, for invoking handlers in tests.
import type { Context } from 'aws-lambda';
import { localLambdaContext } from '../../shared/local/lambda-context.js';

/** The context of a function named `event-lake-test-<name>` with 60 s left. */
export function lambdaContext(name: string): Context {
  return localLambdaContext(`event-lake-test-${name}`);
}

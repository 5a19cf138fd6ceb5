// How the local event sources call functions: the Lambda Invoke API that serverless offline
// serves, so functions run with their serverless.yml environment and timeout, exactly as
// any other local caller would run them.
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';

/** The outcome of one invocation, as an event source mapping sees it. */
export type InvokeResult =
  | { readonly ok: true; readonly payload: unknown }
  | { readonly ok: false; readonly error: string };

/** Calls a function by its deployed name. */
export interface LambdaInvoker {
  invoke(functionName: string, event: unknown): Promise<InvokeResult>;
}

/**
 * An invoker over the Lambda Invoke API (RequestResponse). A function error (thrown,
 * timed out) is a failed result, not an exception; an unreachable endpoint throws.
 *
 * @example const invoker = new LambdaApiInvoker(new LambdaClient({ endpoint: 'http://127.0.0.1:3002' }));
 */
export class LambdaApiInvoker implements LambdaInvoker {
  constructor(private readonly lambda: LambdaClient) {}

  async invoke(functionName: string, event: unknown): Promise<InvokeResult> {
    const response = await this.lambda.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event)) }),
    );
    const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
    const payload: unknown = text === '' ? null : safeJson(text);
    if (response.FunctionError || (response.StatusCode ?? 200) >= 300) {
      return { ok: false, error: describeFunctionError(payload, response.FunctionError) };
    }
    return { ok: true, payload };
  }
}

/**
 * Invokes and turns a transport failure (an Invoke API that is down or restarting) into a
 * failed result, so event sources retry it like a function error instead of dying.
 *
 * @example const result = await invokeOrFail(invoker, 'event-lake-dev-ingestKinesis', event);
 */
export function invokeOrFail(invoker: LambdaInvoker, functionName: string, event: unknown): Promise<InvokeResult> {
  return invoker
    .invoke(functionName, event)
    .catch((error: unknown): InvokeResult => ({ ok: false, error: `Invoke failed: ${(error as Error).message}` }));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describeFunctionError(payload: unknown, kind: string | undefined): string {
  if (payload && typeof payload === 'object') {
    const p = payload as { errorType?: string; errorMessage?: string };
    if (p.errorMessage) return `${p.errorType ?? kind ?? 'Error'}: ${p.errorMessage}`;
  }
  return `${kind ?? 'Error'}: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}`;
}

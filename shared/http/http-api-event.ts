// Adapts API Gateway HTTP API (payload 2.0) events and responses to plain request/reply
// shapes, so the core never sees Lambda types.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** The raw body bytes: HTTP APIs base64-encode binary bodies (e.g. gzip) and pass text as is. */
export function rawBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** Header names in lower case (HTTP APIs already send them so; other front ends may not). */
export function lowerCaseHeaders(headers: APIGatewayProxyEventV2['headers'] | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}

/**
 * A JSON response with the usual headers.
 *
 * @example jsonResponse(202, { accepted: 10 })
 */
export function jsonResponse(
  status: number,
  body: Record<string, unknown>,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

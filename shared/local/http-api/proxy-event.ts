// Builds API Gateway HTTP API (payload format 2.0) events from HTTP requests and turns the
// function's answer into an HTTP response, following the documented 2.0 rules.
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { RouteMatch } from './routes.js';

/** The parts of an incoming request the event is built from. */
export interface IncomingRequest {
  readonly method: string;
  /** Path and query string as received, e.g. `/v1/ingest/acme?dry=1`. */
  readonly url: string;
  /** Node's rawHeaders: name, value, name, value… */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
}

/** An HTTP response to write. */
export interface OutgoingResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

const TEXT_TYPES = /^(text\/|application\/(json|[\w.+-]+\+json|x-ndjson|ndjson|jsonl|xml|javascript|x-www-form-urlencoded))/i;

/**
 * The 2.0 event of a request. Header names are lower-cased and repeated headers joined with
 * commas, as API Gateway does; a body that is compressed or not text is base64-encoded.
 *
 * @example proxyEventV2(request, match, { apiId: 'local', stage: '$default' })
 */
export function proxyEventV2(request: IncomingRequest, match: RouteMatch, api: { apiId: string; stage: string; now?: number }): APIGatewayProxyEventV2 {
  const url = new URL(request.url, 'http://localhost');
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!.toLowerCase();
    const value = request.rawHeaders[i + 1]!;
    if (name === 'cookie') cookies.push(...value.split(';').map((c) => c.trim()).filter(Boolean));
    else headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  const binary = request.body.length > 0 && (headers['content-encoding'] !== undefined || !TEXT_TYPES.test(headers['content-type'] ?? ''));
  const now = api.now ?? Date.now();
  const host = headers['host'] ?? 'localhost';
  return {
    version: '2.0',
    routeKey: match.route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(match.pathParameters).length > 0 ? { pathParameters: match.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: api.apiId,
      domainName: host.split(':')[0]!,
      domainPrefix: host.split('.')[0]!.split(':')[0]!,
      http: { method: request.method.toUpperCase(), path: url.pathname, protocol: 'HTTP/1.1', sourceIp: request.sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: match.route.routeKey,
      stage: api.stage,
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(request.body.length > 0 ? { body: binary ? request.body.toString('base64') : request.body.toString('utf8') } : {}),
    isBase64Encoded: binary,
  };
}

/**
 * The HTTP response of a function's result. A result with `statusCode` is used as is; any
 * other value is, per format 2.0, a 200 with the value as its JSON body.
 *
 * @example httpResponseOf({ statusCode: 202, body: '{"accepted":1}' }).status // 202
 */
export function httpResponseOf(result: unknown): OutgoingResponse {
  if (result && typeof result === 'object' && 'statusCode' in result) {
    const r = result as { statusCode: number; headers?: Record<string, unknown>; body?: string; isBase64Encoded?: boolean; cookies?: string[] };
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(r.headers ?? {})) headers[name.toLowerCase()] = String(value);
    const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8');
    return { status: r.statusCode, headers, body };
  }
  const text = typeof result === 'string' ? result : JSON.stringify(result ?? null);
  return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(text) };
}

/**
 * The answers API Gateway gives itself, with its JSON message bodies.
 *
 * @example gatewayError(404) // { status: 404, body: '{"message":"Not Found"}' }
 */
export function gatewayError(status: 404 | 413 | 500 | 503): OutgoingResponse {
  const message = { 404: 'Not Found', 413: 'Request Entity Too Large', 500: 'Internal Server Error', 503: 'Service Unavailable' }[status];
  return { status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ message })) };
}

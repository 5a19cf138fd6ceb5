import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gatewayError, httpResponseOf, proxyEventV2 } from '../../../shared/local/http-api/proxy-event.js';
import { httpApiRoutes, matchRoute } from '../../../shared/local/http-api/routes.js';
import type { FunctionDescription } from '../../../shared/local/service-description.js';

const fn = (key: string, events: Record<string, unknown>[]): FunctionDescription => ({ key, name: `svc-dev-${key}`, timeoutSeconds: 60, memorySizeMb: 1024, events });
const routes = httpApiRoutes([
  fn('ingest', [{ httpApi: { method: 'POST', path: '/v1/ingest/{source}' } }]),
  fn('health', [{ httpApi: 'GET /v1/health' }]),
  fn('files', [{ httpApi: { method: '*', path: '/v1/files/{key+}' } }]),
  fn('special', [{ httpApi: { method: 'POST', path: '/v1/ingest/batch' } }]),
]);

describe('httpApiRoutes and matchRoute', () => {
  it('matches methods, literal segments and parameters, the literal route first', () => {
    expect(matchRoute(routes, 'POST', '/v1/ingest/acme')).toMatchObject({ route: { functionKey: 'ingest', routeKey: 'POST /v1/ingest/{source}' }, pathParameters: { source: 'acme' } });
    expect(matchRoute(routes, 'POST', '/v1/ingest/batch')?.route.functionKey).toBe('special');
    expect(matchRoute(routes, 'GET', '/v1/ingest/acme')).toBeUndefined();
    expect(matchRoute(routes, 'POST', '/v1/ingest/acme/extra')).toBeUndefined();
    expect(matchRoute(routes, 'get', '/v1/health')?.route.functionKey).toBe('health');
  });

  it('gives a greedy parameter the rest of the path, for any method, and decodes segments', () => {
    expect(matchRoute(routes, 'DELETE', '/v1/files/a/b%20c.parquet')?.pathParameters).toEqual({ key: 'a/b c.parquet' });
    expect(matchRoute(routes, 'GET', '/v1/files')).toBeUndefined();
  });

  it('caps the wait at API Gateway 30 s', () => {
    expect(routes.every((r) => r.timeoutSeconds === 30)).toBe(true);
  });
});

describe('proxyEventV2', () => {
  const match = matchRoute(routes, 'POST', '/v1/ingest/acme')!;
  const request = (headers: string[], body: Buffer) => ({ method: 'POST', url: '/v1/ingest/acme?x=1&x=2', rawHeaders: headers, body, sourceIp: '127.0.0.1' });

  it('builds the documented 2.0 shape: lower-case headers, joined repeats, cookies, query, path parameters', () => {
    const event = proxyEventV2(request(['Content-Type', 'application/x-ndjson', 'X-Tag', 'a', 'x-tag', 'b', 'Cookie', 'a=1; b=2', 'Host', 'localhost:3000'], Buffer.from('{"a":1}')), match, { apiId: 'local', stage: '$default', now: 0 });
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /v1/ingest/{source}',
      rawPath: '/v1/ingest/acme',
      rawQueryString: 'x=1&x=2',
      cookies: ['a=1', 'b=2'],
      headers: { 'content-type': 'application/x-ndjson', 'x-tag': 'a,b', host: 'localhost:3000' },
      queryStringParameters: { x: '1,2' },
      pathParameters: { source: 'acme' },
      requestContext: { http: { method: 'POST', path: '/v1/ingest/acme', sourceIp: '127.0.0.1' }, stage: '$default', timeEpoch: 0 },
      body: '{"a":1}',
      isBase64Encoded: false,
    });
  });

  it('base64-encodes compressed and non-text bodies so their bytes arrive intact', () => {
    const gzipped = gzipSync('{"a":1}\n');
    const event = proxyEventV2(request(['Content-Type', 'application/x-ndjson', 'Content-Encoding', 'gzip'], gzipped), match, { apiId: 'local', stage: '$default' });
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64').equals(gzipped)).toBe(true);
    expect(proxyEventV2(request(['Content-Type', 'image/png'], Buffer.from([0xff, 0xfe])), match, { apiId: 'l', stage: 's' }).isBase64Encoded).toBe(true);
  });
});

describe('httpResponseOf', () => {
  it('uses a structured result as is and wraps anything else as 200 JSON (format 2.0)', () => {
    expect(httpResponseOf({ statusCode: 202, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true}' })).toEqual({ status: 202, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"ok":true}') });
    expect(httpResponseOf({ statusCode: 200, body: Buffer.from('hi').toString('base64'), isBase64Encoded: true }).body.toString()).toBe('hi');
    expect(httpResponseOf({ hello: 'world' })).toEqual({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"hello":"world"}') });
    expect(gatewayError(404).body.toString()).toBe('{"message":"Not Found"}');
  });
});

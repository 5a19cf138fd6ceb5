// A local stand-in for API Gateway's HTTP API in front of `serverless offline`'s Lambda
// Invoke API. serverless offline's own HTTP server decodes request bodies as UTF-8 text
// unless they are octet-stream, which corrupts gzip bodies (and with them HMAC signatures);
// this gateway passes bytes exactly as API Gateway does (base64 for binary bodies).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LambdaInvoker } from '../lambda-invoker.js';
import { gatewayError, httpResponseOf, proxyEventV2, type OutgoingResponse } from './proxy-event.js';
import { matchRoute, type HttpApiRoute } from './routes.js';

/** API Gateway's payload limit for HTTP APIs. */
export const HTTP_API_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** A request that does nothing but answer, to compare function routes against (benchmarks). */
export const BARE_ROUTE = '/_local/bare';

/** A running gateway. */
export interface HttpApiGateway {
  readonly url: string;
  readonly stats: { requests: number; errors: number };
  close(): Promise<void>;
}

/**
 * Serves `routes` on host:port, invoking each route's function with the 2.0 event.
 *
 * @example const gateway = await startHttpApiGateway({ routes, invoker, host: '127.0.0.1', port: 3000 });
 */
export async function startHttpApiGateway(options: {
  routes: readonly HttpApiRoute[];
  invoker: LambdaInvoker;
  host: string;
  port: number;
  stage?: string;
  log?: (line: string) => void;
}): Promise<HttpApiGateway> {
  const stats = { requests: 0, errors: 0 };
  const server: Server = createServer((req, res) => {
    stats.requests += 1;
    handle(req, options)
      .then((response) => send(res, response))
      .catch((error: unknown) => {
        stats.errors += 1;
        options.log?.(`http: ${req.method} ${req.url}: ${(error as Error).message}`);
        send(res, gatewayError(500));
      });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    stats,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function handle(req: IncomingMessage, options: { routes: readonly HttpApiRoute[]; invoker: LambdaInvoker; stage?: string }): Promise<OutgoingResponse> {
  const path = (req.url ?? '/').split('?')[0]!;
  if (path === BARE_ROUTE) {
    await readBody(req, HTTP_API_MAX_BODY_BYTES);
    return { status: 202, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"accepted":0}') };
  }
  const match = matchRoute(options.routes, req.method ?? 'GET', path);
  if (!match) {
    req.resume();
    return gatewayError(404);
  }
  const body = await readBody(req, HTTP_API_MAX_BODY_BYTES);
  if (body === undefined) return gatewayError(413);
  const event = proxyEventV2(
    { method: req.method ?? 'GET', url: req.url ?? '/', rawHeaders: req.rawHeaders, body, sourceIp: req.socket.remoteAddress ?? '127.0.0.1' },
    match,
    { apiId: 'local', stage: options.stage ?? '$default' },
  );
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, match.route.timeoutSeconds * 1000, 'timeout').unref());
  const result = await Promise.race([options.invoker.invoke(match.route.functionName, event), timeout]);
  if (result === 'timeout') return gatewayError(503);
  if (!result.ok) return gatewayError(500);
  return httpResponseOf(result.payload);
}

/** The body, or undefined once it passes `limit` (the rest is drained, not buffered). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: OutgoingResponse): void {
  if (res.headersSent) return;
  res.writeHead(response.status, { ...response.headers, 'content-length': String(response.body.length) });
  res.end(response.body);
}

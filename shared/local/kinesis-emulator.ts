// The local Kinesis endpoint: kinesalite in memory behind one port that serves HTTP/1.1 and
// HTTP/2 (h2c), because the SDK v3 Kinesis client talks HTTP/2 by default and kinesalite
// speaks only HTTP/1.1.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import kinesalite from 'kinesalite';
import { installFastNumbers } from './kinesalite-fast-numbers.js';
import { PipelineError } from '../errors.js';

/** A running emulator: point any SDK v3 Kinesis client (dummy credentials) at `endpoint`. */
export interface KinesisEmulator {
  /** Base URL for a client's `endpoint` option, e.g. `http://127.0.0.1:4567`. */
  readonly endpoint: string;
  readonly port: number;
  /** Client connections accepted so far, by the protocol they spoke. */
  connections(): ConnectionCounts;
  /** Frees the port, drops open connections (idle keep-alive ones too) and discards all streams. */
  stop(): Promise<void>;
}

/** Accepted client connections by protocol. */
export interface ConnectionCounts {
  readonly http1: number;
  readonly http2: number;
}

/** Where the emulator listens; defaults to 127.0.0.1 and a port the OS picks. */
export interface KinesisEmulatorOptions {
  host?: string;
  port?: number;
}

/** The emulator's port is taken, most often by another local stack. */
export class PortInUseError extends PipelineError {
  constructor(
    readonly port: number,
    readonly host: string,
    options?: { cause?: unknown },
  ) {
    super(`port ${port} on ${host} is in use (another local stack running? stop it or choose another port)`, options);
  }
}

const LOOPBACK = '127.0.0.1';

// Streams become ACTIVE (and are deleted or resharded) at once: Kinesis takes seconds, which
// would only slow tests and the local stack down.
const STREAM_TRANSITION_MS = 0;

// kinesalite's default of 10 open shards in total is too few for several streams in one stack.
const SHARD_LIMIT = 1000;

// Every HTTP/2 client opens its connection with these 24 bytes (RFC 9113 §3.4); no HTTP/1.x
// request line starts with them, so they tell the two protocols apart on one port.
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

// Headers about one connection, not the message (RFC 9110 §7.6.1): they must not be forwarded,
// and HTTP/2 rejects a response that carries them.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/** What forwarding needs of an HTTP/1.1 request or an HTTP/2 compatibility-API request. */
type FrontRequest = Readable & { method?: string; url?: string; headers: http.IncomingHttpHeaders };

/** What forwarding needs of an HTTP/1.1 response or an HTTP/2 compatibility-API response. */
type FrontResponse = Writable & {
  readonly headersSent: boolean;
  writeHead(statusCode: number, headers: http.OutgoingHttpHeaders): unknown;
};

/** kinesalite's port and the keep-alive connections the front reuses to reach it. */
interface Backend {
  readonly server: http.Server;
  readonly port: number;
  readonly agent: http.Agent;
}

/**
 * Starts kinesalite in memory and a front port that accepts both HTTP/1.1 and HTTP/2 clients.
 * Rejects with {@link PortInUseError} when the port is taken.
 *
 * @example
 * const kinesis = await startKinesisEmulator({ port: 4567 });
 * const client = new KinesisClient({ region: 'us-east-1', endpoint: kinesis.endpoint });
 * // ...
 * await kinesis.stop();
 */
export async function startKinesisEmulator(options: KinesisEmulatorOptions = {}): Promise<KinesisEmulator> {
  const host = options.host ?? LOOPBACK;
  const backend = await startBackend();
  const h1 = http.createServer((req, res) => forward(backend, req, res, req.headers.host));
  const h2 = http2.createServer();
  h2.on('request', (req, res) => forward(backend, req, res, req.authority));

  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });

  const counts = { http1: 0, http2: 0 };
  const front = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A client resetting its connection is its own business, never an uncaught 'error'.
    socket.on('error', () => socket.destroy());
    sniffProtocol(socket, (protocol) => {
      counts[protocol] += 1;
      if (protocol === 'http2') {
        // The session drains the bytes put back into the socket itself.
        h2.emit('connection', socket);
      } else {
        // The HTTP/1.1 server reads through 'data' events but leaves a paused socket paused.
        h1.emit('connection', socket);
        socket.resume();
      }
    });
  });
  // Accept errors (EMFILE and the like) are transient; unhandled they would end the process.
  front.on('error', () => undefined);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // Closing the port first, then dropping connections, so none slips in between.
      const frontClosed = closeServer(front);
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      backend.agent.destroy();
      const backendClosed = closeServer(backend.server);
      backend.server.closeAllConnections();
      await Promise.all([frontClosed, closeServer(h1), closeServer(h2), backendClosed]);
    })();
    return stopping;
  };

  try {
    await listen(front, options.port ?? 0, host);
  } catch (error) {
    await stop();
    throw error;
  }
  const { port } = front.address() as net.AddressInfo;
  return {
    endpoint: endpointUrl(host, port),
    port,
    connections: () => ({ ...counts }),
    stop,
  };
}

async function startBackend(): Promise<Backend> {
  installFastNumbers();
  const server = kinesalite({
    createStreamMs: STREAM_TRANSITION_MS,
    deleteStreamMs: STREAM_TRANSITION_MS,
    updateStreamMs: STREAM_TRANSITION_MS,
    shardLimit: SHARD_LIMIT,
  });
  containRequestErrors(server);
  await listen(server, 0, LOOPBACK);
  const { port } = server.address() as net.AddressInfo;
  return { server, port, agent: new http.Agent({ keepAlive: true }) };
}

// kinesalite rethrows request stream errors from an 'error' listener. It runs in our process,
// so one request cut short (a client gone mid-body, or stop() during a request) would end it.
function containRequestErrors(server: http.Server): void {
  const handlers = server.listeners('request') as http.RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    for (const handler of handlers) handler.call(server, req, res);
    req.removeAllListeners('error');
    req.on('error', () => res.destroy());
  });
}

/**
 * Reads a connection's first bytes to learn its protocol, then puts them back so the chosen
 * server sees the connection from its start. The preface may arrive in pieces.
 */
function sniffProtocol(socket: net.Socket, route: (protocol: 'http1' | 'http2') => void): void {
  let seen = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    seen = Buffer.concat([seen, chunk]);
    const compared = Math.min(seen.length, HTTP2_PREFACE.length);
    const matches = seen.subarray(0, compared).equals(HTTP2_PREFACE.subarray(0, compared));
    if (matches && compared < HTTP2_PREFACE.length) return;
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.pause();
    socket.unshift(seen);
    route(matches ? 'http2' : 'http1');
  };
  // Closed before it said anything we could serve.
  const onEnd = (): void => {
    socket.destroy();
  };
  socket.on('data', onData);
  socket.once('end', onEnd);
}

/** Replays one request to kinesalite over HTTP/1.1 and streams its answer back. */
function forward(backend: Backend, req: FrontRequest, res: FrontResponse, authority: string | undefined): void {
  let answered = false;
  let outgoing: http.ClientRequest;
  try {
    outgoing = http.request({
      host: LOOPBACK,
      port: backend.port,
      agent: backend.agent,
      method: req.method,
      path: req.url,
      headers: backendRequestHeaders(req.headers, authority),
    });
  } catch (error) {
    answerBadGateway(res, error);
    return;
  }
  outgoing.on('error', (error) => answerBadGateway(res, error));
  outgoing.on('response', (answer) => {
    answer.on('error', () => res.destroy());
    answer.once('end', () => {
      answered = true;
    });
    try {
      res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
    } catch (error) {
      answer.destroy();
      answerBadGateway(res, error);
      return;
    }
    answer.pipe(res);
  });
  // The client left before the answer was complete: stop the work on its behalf.
  res.once('close', () => {
    if (!answered) outgoing.destroy();
  });
  req.pipe(outgoing);
}

function backendRequestHeaders(headers: http.IncomingHttpHeaders, authority: string | undefined): http.OutgoingHttpHeaders {
  const forwarded = withoutHopByHop(headers);
  // HTTP/2 names the host in the :authority pseudo-header (dropped above); HTTP/1.1 needs Host.
  if (forwarded['host'] === undefined && authority) forwarded['host'] = authority;
  return forwarded;
}

/** The end-to-end headers of a message: no pseudo-headers, no hop-by-hop headers. */
function withoutHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const namedInConnection = new Set(
    (headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
  const kept: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':') || HOP_BY_HOP.has(name) || namedInConnection.has(name)) continue;
    kept[name] = value;
  }
  return kept;
}

// Shaped like a Kinesis service error, so SDK clients surface it as an InternalFailure.
function answerBadGateway(res: FrontResponse, error: unknown): void {
  try {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const message = `kinesis emulator unreachable: ${error instanceof Error ? error.message : String(error)}`;
    const body = JSON.stringify({ __type: 'InternalFailure', message });
    res.writeHead(502, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  } catch {
    res.destroy();
  }
}

async function listen(server: net.Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, host, { cause: error }) : error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Closes a server; the HTTP servers fed connections by the front never listened themselves. */
async function closeServer(server: net.Server): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.close((error?: NodeJS.ErrnoException) => {
      if (error && error.code !== 'ERR_SERVER_NOT_RUNNING') reject(error);
      else resolve();
    });
  });
}

function endpointUrl(host: string, port: number): string {
  // A wildcard address accepts connections but is no address to connect to.
  const reachable = host === '0.0.0.0' ? LOOPBACK : host === '::' ? '::1' : host;
  return `http://${net.isIPv6(reachable) ? `[${reachable}]` : reachable}:${port}`;
}

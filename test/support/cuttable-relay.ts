// A TCP relay in front of a local service whose link can be cut and restored: an outage as
// the client sees it (connections reset), while the service behind keeps its state.
import { connect, createServer, type Socket } from 'node:net';

export interface CuttableRelay {
  /** The target URL with the relay's host and port. */
  readonly url: string;
  /** Resets every open connection and every new one until {@link restore}. */
  cut(): void;
  restore(): void;
  stop(): Promise<void>;
}

/**
 * Starts a relay on 127.0.0.1 to `targetUrl` (http://host:port).
 *
 * @example const relay = await startCuttableRelay(s3.endpoint); relay.cut(); // S3 is down
 */
export async function startCuttableRelay(targetUrl: string): Promise<CuttableRelay> {
  const target = new URL(targetUrl);
  const open = new Set<Socket>();
  let down = false;
  const track = (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.origin,
    cut() {
      down = true;
      for (const socket of open) socket.resetAndDestroy();
    },
    restore() {
      down = false;
    },
    async stop() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

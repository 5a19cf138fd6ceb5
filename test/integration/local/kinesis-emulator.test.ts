// The local Kinesis endpoint serves SDK v3 clients over HTTP/2 (their default) and HTTP/1.1
// on one port, and stops cleanly.
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  type KinesisClientConfig,
  ListShardsCommand,
  ListStreamsCommand,
  PutRecordCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import http2 from 'node:http2';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PortInUseError,
  startKinesisEmulator,
  type ConnectionCounts,
  type KinesisEmulator,
} from '../../../shared/local/kinesis-emulator.js';

const STREAM_ACTIVE_TIMEOUT_MS = 5_000;
const STOP_BUDGET_MS = 1_000;

let emulator: KinesisEmulator;
const clients: KinesisClient[] = [];

beforeAll(async () => {
  emulator = await startKinesisEmulator({});
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await emulator?.stop();
});

/** A client as a user would write it: region, endpoint, credentials, nothing else unless given. */
function kinesisClient(endpoint: string, extra: Partial<KinesisClientConfig> = {}): KinesisClient {
  const client = new KinesisClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...extra,
  });
  clients.push(client);
  return client;
}

async function createActiveStream(client: KinesisClient, name: string, shards: number): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  const deadline = Date.now() + STREAM_ACTIVE_TIMEOUT_MS;
  for (;;) {
    const { StreamDescriptionSummary } = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`stream ${name} not ACTIVE after ${STREAM_ACTIVE_TIMEOUT_MS} ms`);
    await sleep(10);
  }
}

/** Every record of the stream, read from TRIM_HORIZON, as text, by shard. */
async function readStream(client: KinesisClient, name: string): Promise<Map<string, string[]>> {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: name }));
  const byShard = new Map<string, string[]>();
  for (const { ShardId } of Shards) {
    const data: string[] = [];
    let { ShardIterator: iterator } = await client.send(
      new GetShardIteratorCommand({ StreamName: name, ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
      const records = page.Records ?? [];
      data.push(...records.map((r) => Buffer.from(r.Data!).toString('utf8')));
      iterator = records.length > 0 ? page.NextShardIterator : undefined;
    }
    byShard.set(ShardId!, data);
  }
  return byShard;
}

/** Creates a 2-shard stream, puts 500 records in one PutRecords and reads them all back. */
async function roundTrip500(client: KinesisClient, stream: string): Promise<void> {
  await createActiveStream(client, stream, 2);
  const payloads = Array.from({ length: 500 }, (_, i) => JSON.stringify({ stream, i }));
  const put = await client.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: payloads.map((p, i) => ({ Data: Buffer.from(p), PartitionKey: `key-${i}` })),
    }),
  );
  expect(put.FailedRecordCount).toBe(0);

  const byShard = await readStream(client, stream);
  expect(byShard.size).toBe(2);
  for (const data of byShard.values()) expect(data.length).toBeGreaterThan(0);
  expect([...byShard.values()].flat().sort()).toEqual([...payloads].sort());
}

function connectionsSince(before: ConnectionCounts): ConnectionCounts {
  const now = emulator.connections();
  return { http1: now.http1 - before.http1, http2: now.http2 - before.http2 };
}

/**
 * A TCP relay that hands the first bytes of each connection over one by one, so the emulator
 * sees the start of a request (or of the HTTP/2 preface) in pieces.
 */
async function startTrickleRelay(targetPort: number): Promise<{ endpoint: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort, noDelay: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.once('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(client);
    client.once('data', (first: Buffer) => {
      client.pause();
      void (async () => {
        for (let i = 0; i < 30 && i < first.length; i++) {
          upstream.write(first.subarray(i, i + 1));
          await sleep(2);
        }
        upstream.write(first.subarray(30));
        client.pipe(upstream);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('kinesis emulator', () => {
  it('serves a client with default settings over HTTP/2: 500 records in, the same 500 out across 2 shards', async () => {
    const before = emulator.connections();
    await roundTrip500(kinesisClient(emulator.endpoint), 'default-client');
    const since = connectionsSince(before);
    expect(since.http2).toBeGreaterThan(0);
    expect(since.http1).toBe(0);
  });

  it('serves a client with an HTTP/1.1 request handler the same way', async () => {
    const before = emulator.connections();
    await roundTrip500(kinesisClient(emulator.endpoint, { requestHandler: new NodeHttpHandler() }), 'http1-client');
    const since = connectionsSince(before);
    expect(since.http1).toBeGreaterThan(0);
    expect(since.http2).toBe(0);
  });

  it('serves HTTP/2 and HTTP/1.1 clients at the same time', async () => {
    const h2 = kinesisClient(emulator.endpoint);
    const h1 = kinesisClient(emulator.endpoint, { requestHandler: new NodeHttpHandler() });
    await createActiveStream(h2, 'mixed-clients', 1);
    const before = emulator.connections();

    const puts = Array.from({ length: 20 }, (_, i) => [
      h2.send(new PutRecordCommand({ StreamName: 'mixed-clients', PartitionKey: 'k', Data: Buffer.from(`h2-${i}`) })),
      h1.send(new PutRecordCommand({ StreamName: 'mixed-clients', PartitionKey: 'k', Data: Buffer.from(`h1-${i}`) })),
    ]).flat();
    const results = await Promise.all(puts);

    expect(results.every((r) => typeof r.SequenceNumber === 'string')).toBe(true);
    const since = connectionsSince(before);
    expect(since.http1).toBeGreaterThan(0);
    expect(since.http2).toBeGreaterThan(0);
    const stored = [...(await readStream(h2, 'mixed-clients')).values()].flat();
    expect(stored.sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => [`h2-${i}`, `h1-${i}`]).flat().sort(),
    );
  });

  it('tells HTTP/2 from HTTP/1.1 when the first bytes arrive in pieces', async () => {
    const relay = await startTrickleRelay(emulator.port);
    try {
      const before = emulator.connections();
      const h2 = kinesisClient(relay.endpoint);
      const h1 = kinesisClient(relay.endpoint, { requestHandler: new NodeHttpHandler() });
      // An HTTP/1.1 POST starts with 'P', like the preface: only later bytes tell them apart.
      await expect(h2.send(new ListStreamsCommand({}))).resolves.toMatchObject({ StreamNames: expect.any(Array) });
      await expect(h1.send(new ListStreamsCommand({}))).resolves.toMatchObject({ StreamNames: expect.any(Array) });
      expect(connectionsSince(before)).toEqual({ http1: 1, http2: 1 });
    } finally {
      await relay.close();
    }
  });

  it('stops promptly with an idle HTTP/2 session and an idle HTTP/1.1 keep-alive connection open, and frees the port', async () => {
    const own = await startKinesisEmulator({});
    const session = http2.connect(own.endpoint);
    session.on('error', () => undefined);
    const h1 = kinesisClient(own.endpoint, { requestHandler: new NodeHttpHandler() });
    await h1.send(new ListStreamsCommand({}));
    await new Promise<void>((resolve, reject) => {
      const request = session.request({ ':method': 'GET', ':path': '/' });
      request.on('response', () => request.resume().once('end', resolve));
      request.on('error', reject);
      request.end();
    });
    expect(session.closed).toBe(false);
    expect(own.connections()).toEqual({ http1: 1, http2: 1 });

    const started = Date.now();
    const sessionClosed = new Promise((resolve) => session.once('close', resolve));
    await Promise.race([
      own.stop(),
      sleep(STOP_BUDGET_MS * 5).then(() => Promise.reject(new Error('stop() still pending'))),
    ]);
    expect(Date.now() - started).toBeLessThan(STOP_BUDGET_MS);
    await sessionClosed;

    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(own.port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => probe.close(resolve));
  });

  it('refuses to start on a port that is in use, naming the port and host', async () => {
    const second = startKinesisEmulator({ port: emulator.port });
    await expect(second).rejects.toBeInstanceOf(PortInUseError);
    await expect(second).rejects.toThrow(`port ${emulator.port} on 127.0.0.1 is in use`);
    // The running emulator is untouched.
    await expect(kinesisClient(emulator.endpoint).send(new ListStreamsCommand({}))).resolves.toBeDefined();
  });
});

// A kinesalite Kinesis emulator in-process on 127.0.0.1, reached over HTTP/1.1 (it does not
// speak the HTTP/2 the SDK's Kinesis client uses by default), and a reader of whole streams.
import type { AddressInfo } from 'node:net';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import kinesalite from 'kinesalite';

export interface Kinesalite {
  readonly endpoint: string;
  readonly client: KinesisClient;
  /** Creates a stream and waits until it is ACTIVE. */
  createStream(name: string, shards: number): Promise<void>;
  /** Every record of every shard, from the trim horizon to the tip. */
  readAll(name: string): Promise<{ shard: string; data: Uint8Array; partitionKey: string }[]>;
  stop(): Promise<void>;
}

/** Starts kinesalite on a free port with streams that become ACTIVE at once. */
export async function startKinesalite(): Promise<Kinesalite> {
  const server = kinesalite({ createStreamMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new KinesisClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler(),
  });
  return {
    endpoint,
    client,
    async createStream(name, shards) {
      await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
      for (;;) {
        const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamName: name }));
        if (StreamDescription?.StreamStatus === 'ACTIVE') return;
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async readAll(name) {
      const records: { shard: string; data: Uint8Array; partitionKey: string }[] = [];
      const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: name }));
      for (const shard of Shards) {
        let { ShardIterator: iterator } = await client.send(
          new GetShardIteratorCommand({ StreamName: name, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
        );
        while (iterator) {
          const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
          for (const r of page.Records ?? []) records.push({ shard: shard.ShardId!, data: r.Data!, partitionKey: r.PartitionKey! });
          // An open shard always returns a next iterator; being at the tip means done here.
          if ((page.Records ?? []).length === 0 || page.MillisBehindLatest === 0) break;
          iterator = page.NextShardIterator;
        }
      }
      return records;
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

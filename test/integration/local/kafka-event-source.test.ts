// No Kafka broker runs here: these check how the local Kafka mapping starts against what
// does run (a closed port, serverless.yml as resolved for the dev stage).
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { kafkaMappingOf } from '../../../shared/local/event-source-mappings.js';
import { KafkaEventSource, KafkaStartError, kafkaStatusOf } from '../../../shared/local/kafka-event-source.js';
import { parseKafkaSettings } from '../../../shared/local/kafka-settings.js';
import { PreflightError } from '../../../shared/local/preflight.js';
import { describeService } from '../../../shared/local/service-description.js';

/** A port nothing listens on: bound once by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the local Kafka event source', () => {
  it('invokes ingestKafka on the kafkaTopic param with the defaults when the dev stage has no Kafka trigger', async () => {
    const service = await describeService({ stage: 'dev' });
    const mapping = kafkaMappingOf(service, parseKafkaSettings({ KAFKA_BROKERS: '127.0.0.1:9092' })!);
    expect(mapping).toMatchObject({
      functionKey: 'ingestKafka',
      functionName: 'event-lake-dev-ingestKafka',
      topics: ['events'],
      consumerGroupId: 'event-lake-dev-ingest-local',
      batchSize: 100,
      batchWindowSeconds: 0.5,
      settingsFrom: 'defaults',
    });
    expect(kafkaStatusOf(mapping)).toMatchObject({ enabled: true, brokers: ['127.0.0.1:9092'], topics: ['events'], function: 'ingestKafka' });
    expect(kafkaStatusOf(undefined)).toEqual({ enabled: false, reason: 'off: set KAFKA_BROKERS to consume Kafka topics' });
  }, 60_000);

  it('fails the start within the connect timeout, naming KAFKA_BROKERS, when no broker answers', async () => {
    const brokers = `127.0.0.1:${await closedPort()}`;
    const settings = parseKafkaSettings({ KAFKA_BROKERS: brokers })!;
    const service = { service: 'event-lake', stage: 'dev', params: {}, functions: [{ key: 'ingestKafka', name: 'event-lake-dev-ingestKafka', timeoutSeconds: 60, memorySizeMb: 1024, events: [] }] };
    const invoker = { invoke: async () => ({ ok: true as const, payload: null }) };
    const source = new KafkaEventSource(kafkaMappingOf(service, settings), settings, { invoker, connectTimeoutMs: 3000 });
    const started = Date.now();
    const error = await source.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(KafkaStartError);
    expect(error).toBeInstanceOf(PreflightError);
    expect((error as Error).message).toContain(`cannot consume Kafka at KAFKA_BROKERS=${brokers} (topics events): no answer within 3 s`);
    expect((error as Error).message).toMatch(/ECONNREFUSED/); // the client's own reason, not only the deadline
    expect((error as Error).message).toMatch(/unset KAFKA_BROKERS to run without Kafka/);
    await source.stop();
  }, 30_000);
});

import { describe, expect, it } from 'vitest';
import { kafkaMappingOf, MappingConfigError } from '../../../shared/local/event-source-mappings.js';
import type { KafkaSettings } from '../../../shared/local/kafka-settings.js';
import { parseServiceDescription } from '../../../shared/local/service-description.js';

const settings: KafkaSettings = { brokers: ['127.0.0.1:9092'], topics: undefined, sasl: undefined, ssl: false };
/** What `sls print --stage dev` gives for the Kafka parts of serverless.yml. */
const params = { default: { kafkaTopic: 'events', kafkaConsumerGroupId: 'event-lake-dev-ingest', ingestBatchSize: 1000 }, dev: { ingestBatchWindowSeconds: 0 } };
const serviceWith = (events: Record<string, unknown>[], extra: Record<string, unknown> = {}) =>
  parseServiceDescription(
    { service: 'event-lake', provider: {}, params, functions: { ingestKinesis: { events: [] }, ingestKafka: { name: 'event-lake-dev-ingestKafka', events }, ...extra } },
    'dev',
  );
const selfManagedEvent = {
  kafka: { bootstrapServers: ['kafka-unset.invalid:9096'], topic: 'clickstream', consumerGroupId: 'event-lake-dev-ingest', batchSize: 1000, maximumBatchingWindow: 5, startingPosition: 'LATEST' },
};

describe('kafkaMappingOf', () => {
  it('invokes ingestKafka with the kafkaTopic param and Lambda-like defaults when no Kafka trigger is configured', () => {
    expect(kafkaMappingOf(serviceWith([]), settings)).toEqual({
      kind: 'kafka',
      functionKey: 'ingestKafka',
      functionName: 'event-lake-dev-ingestKafka',
      brokers: ['127.0.0.1:9092'],
      topics: ['events'],
      consumerGroupId: 'event-lake-dev-ingest-local',
      batchSize: 100,
      batchWindowSeconds: 0.5,
      startingPosition: 'TRIM_HORIZON',
      settingsFrom: 'defaults',
      enabled: true,
    });
  });

  it('takes batch size, window, topic, group and starting position from the self-managed kafka event', () => {
    expect(kafkaMappingOf(serviceWith([selfManagedEvent]), settings)).toMatchObject({
      topics: ['clickstream'],
      consumerGroupId: 'event-lake-dev-ingest-local',
      batchSize: 1000,
      batchWindowSeconds: 5,
      startingPosition: 'LATEST',
      settingsFrom: 'kafka event',
    });
  });

  it('falls back to the msk event, and reads a window of 0 as the 0.5 s Lambda applies (osls drops the 0)', () => {
    const mapping = kafkaMappingOf(serviceWith([{ msk: { arn: 'arn', topic: 'events', batchSize: 1000, maximumBatchingWindow: 0 } }]), settings);
    expect(mapping).toMatchObject({ batchSize: 1000, batchWindowSeconds: 0.5, settingsFrom: 'msk event', topics: ['events'] });
  });

  it('lets KAFKA_TOPICS override the topic of serverless.yml', () => {
    expect(kafkaMappingOf(serviceWith([selfManagedEvent]), { ...settings, topics: ['a', 'b'] }).topics).toEqual(['a', 'b']);
  });

  it('rejects what Lambda would reject, and a service with nothing to invoke', () => {
    expect(() => kafkaMappingOf(serviceWith([{ kafka: { ...selfManagedEvent.kafka, batchSize: 20_000 } }]), settings)).toThrow(/ingestKafka: kafka event: batchSize/);
    expect(() => kafkaMappingOf(serviceWith([{ kafka: { ...selfManagedEvent.kafka, startingPosition: 'AT_TIMESTAMP' } }]), settings)).toThrow(MappingConfigError);
    const withoutKafka = parseServiceDescription({ service: 's', provider: {}, functions: { other: { events: [] } } }, 'dev');
    expect(() => kafkaMappingOf(withoutKafka, settings)).toThrow(/KAFKA_BROKERS is set, but no function has a kafka or msk event/);
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/errors.js';
import { parseKafkaSettings } from '../../../shared/local/kafka-settings.js';

const problemOf = (env: Record<string, string>) => {
  try {
    parseKafkaSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('parseKafkaSettings', () => {
  it('leaves Kafka off when KAFKA_BROKERS is unset or blank, whatever else is set', () => {
    expect(parseKafkaSettings({})).toBeUndefined();
    expect(parseKafkaSettings({ KAFKA_BROKERS: '  ', KAFKA_TOPICS: 'events', KAFKA_SSL: 'maybe' })).toBeUndefined();
  });

  it('reads brokers and topics as comma-separated lists, with no auth by default', () => {
    expect(parseKafkaSettings({ KAFKA_BROKERS: ' 127.0.0.1:9092, kafka-2.local:19092,[::1]:9093,', KAFKA_TOPICS: 'events, clicks.v2' })).toEqual({
      brokers: ['127.0.0.1:9092', 'kafka-2.local:19092', '[::1]:9093'],
      topics: ['events', 'clicks.v2'],
      sasl: undefined,
      ssl: false,
    });
    expect(parseKafkaSettings({ KAFKA_BROKERS: 'localhost:9092' })?.topics).toBeUndefined();
  });

  it('reads SASL (mechanism case-insensitive) and SSL', () => {
    const settings = parseKafkaSettings({
      KAFKA_BROKERS: 'b-1.example:9096',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_USERNAME: 'ingest',
      KAFKA_PASSWORD: 's3cret',
      KAFKA_SSL: 'true',
    });
    expect(settings).toMatchObject({ sasl: { mechanism: 'scram-sha-512', username: 'ingest', password: 's3cret' }, ssl: true });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it('fails naming KAFKA_BROKERS for an address that is not host:port', () => {
    expect(problemOf({ KAFKA_BROKERS: 'localhost' })).toMatch(/KAFKA_BROKERS: "localhost" is not host:port/);
    expect(problemOf({ KAFKA_BROKERS: '127.0.0.1:9092,kafka:99999' })).toMatch(/KAFKA_BROKERS: "kafka:99999" is not host:port/);
    expect(problemOf({ KAFKA_BROKERS: 'PLAINTEXT://kafka:9092' })).toMatch(/KAFKA_BROKERS/);
    expect(problemOf({ KAFKA_BROKERS: ',' })).toMatch(/KAFKA_BROKERS: list at least one broker/);
  });

  it('fails naming the variable for a bad topic, mechanism or SSL flag', () => {
    expect(problemOf({ KAFKA_BROKERS: 'k:9092', KAFKA_TOPICS: 'events,bad topic' })).toMatch(/KAFKA_TOPICS: "bad topic" is not a Kafka topic name/);
    expect(problemOf({ KAFKA_BROKERS: 'k:9092', KAFKA_SASL_MECHANISM: 'gssapi' })).toMatch(/KAFKA_SASL_MECHANISM: must be one of plain, scram-sha-256, scram-sha-512/);
    expect(problemOf({ KAFKA_BROKERS: 'k:9092', KAFKA_SSL: 'yes' })).toMatch(/KAFKA_SSL: must be true or false/);
  });

  it('requires both credentials with a mechanism, and a mechanism with credentials, never echoing the password', () => {
    const missing = problemOf({ KAFKA_BROKERS: 'k:9092', KAFKA_SASL_MECHANISM: 'plain', KAFKA_PASSWORD: 'hunter2' });
    expect(missing).toMatch(/KAFKA_USERNAME: required with KAFKA_SASL_MECHANISM=plain/);
    expect(missing).not.toContain('hunter2');
    const noMechanism = problemOf({ KAFKA_BROKERS: 'k:9092', KAFKA_USERNAME: 'u', KAFKA_PASSWORD: 'hunter2' });
    expect(noMechanism).toMatch(/KAFKA_SASL_MECHANISM: set it/);
    expect(noMechanism).not.toContain('hunter2');
  });
});

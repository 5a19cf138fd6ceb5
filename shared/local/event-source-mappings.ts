// Turns the `stream`, `sqs` and Kafka (`kafka`, `msk`) events of serverless.yml into event
// source mapping settings, with the defaults AWS applies when a setting is absent. Pure, so
// every setting is tested.
import type { KafkaSettings } from './kafka-settings.js';
import { logicalIdOf, type LocalResource } from './local-resources.js';
import type { FunctionDescription, ServiceDescription } from './service-description.js';

/** Where a mapping sends batches it gives up on. */
export interface OnFailureDestination {
  readonly queueName: string;
  readonly queueArn: string;
}

/** A Kinesis event source mapping, as Lambda would run it. */
export interface KinesisMappingConfig {
  readonly kind: 'kinesis';
  readonly functionKey: string;
  readonly functionName: string;
  readonly streamName: string;
  readonly streamArn: string;
  /** 1-10,000 records (default 100). */
  readonly batchSize: number;
  /** 0-300 s (default 0). */
  readonly batchWindowSeconds: number;
  /** 1-10 concurrent batches per shard, ordered per partition key (default 1). */
  readonly parallelizationFactor: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  readonly startingPositionTimestamp?: number;
  readonly reportBatchItemFailures: boolean;
  readonly bisectBatchOnFunctionError: boolean;
  /** -1 = retry until the record expires (AWS default). */
  readonly maximumRetryAttempts: number;
  /** -1 = no limit (AWS default). */
  readonly maximumRecordAgeSeconds: number;
  readonly onFailure?: OnFailureDestination;
  readonly enabled: boolean;
}

/** An SQS event source mapping. */
export interface SqsMappingConfig {
  readonly kind: 'sqs';
  readonly functionKey: string;
  readonly functionName: string;
  readonly queueName: string;
  readonly queueArn: string;
  readonly queueUrl: string;
  /** 1-10,000 (default 10; above 10 needs a batching window). */
  readonly batchSize: number;
  readonly batchWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  /** Concurrent batches (AWS scales pollers; ScalingConfig.MaximumConcurrency caps them). */
  readonly maximumConcurrency: number;
  readonly enabled: boolean;
}

export type MappingConfig = KinesisMappingConfig | SqsMappingConfig;

/**
 * A self-managed Kafka event source mapping, run locally against KAFKA_BROKERS. Not part of
 * {@link MappingConfig}: it exists only when KAFKA_BROKERS is set, not by serverless.yml alone.
 */
export interface KafkaMappingConfig {
  readonly kind: 'kafka';
  readonly functionKey: string;
  readonly functionName: string;
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  readonly topics: readonly string[];
  readonly consumerGroupId: string;
  /** 1-10,000 records (default 100). */
  readonly batchSize: number;
  /** 0.5-300 s (Lambda's Kafka default 0.5 s). */
  readonly batchWindowSeconds: number;
  /** Where a consumer group without committed offsets starts. */
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** The function's event the settings come from, or `defaults` when it has none. */
  readonly settingsFrom: 'kafka event' | 'msk event' | 'defaults';
  readonly enabled: boolean;
}

/** The function invoked for Kafka when no function has a Kafka event (kafkaTrigger `none`). */
export const KAFKA_FUNCTION_KEY = 'ingestKafka';
/** Lambda's batching window for Kafka when none is set; osls drops a configured 0, so 0 means this too. */
const KAFKA_DEFAULT_BATCH_WINDOW_SECONDS = 0.5;
/**
 * Appended to the consumer group: a deployed mapping on the same cluster uses the group
 * unsuffixed, and sharing it would split the partitions between the laptop and Lambda.
 */
const LOCAL_CONSUMER_GROUP_SUFFIX = '-local';

/** A setting in serverless.yml that Lambda would reject. */
export class MappingConfigError extends Error {
  override name = 'MappingConfigError';
}

/**
 * The mappings of every function's `stream` (kinesis) and `sqs` events.
 *
 * @example const mappings = mappingsOf(service.functions, localResources);
 */
export function mappingsOf(
  functions: readonly FunctionDescription[],
  resources: ReadonlyMap<string, LocalResource>,
): MappingConfig[] {
  const mappings: MappingConfig[] = [];
  for (const fn of functions) {
    for (const event of fn.events) {
      if (event['stream']) mappings.push(kinesisMapping(fn, event['stream'] as Record<string, unknown>, resources));
      if (event['sqs']) mappings.push(sqsMapping(fn, event['sqs'] as Record<string, unknown>, resources));
    }
  }
  return mappings;
}

/**
 * The local Kafka mapping: the settings of the first function's self-managed `kafka` event,
 * else of its `msk` event, else defaults for {@link KAFKA_FUNCTION_KEY}: by default
 * (kafkaTrigger `none`) no function has a Kafka event, and KAFKA_BROKERS alone says to consume.
 * Topics: KAFKA_TOPICS, else the event's topic, else the `kafkaTopic` param, else `events`.
 *
 * @example const mapping = kafkaMappingOf(service, parseKafkaSettings(process.env)!);
 */
export function kafkaMappingOf(
  service: Pick<ServiceDescription, 'service' | 'stage' | 'functions' | 'params'>,
  settings: KafkaSettings,
): KafkaMappingConfig {
  const withEvent = (kind: 'kafka' | 'msk') =>
    service.functions.flatMap((fn) => fn.events.filter((e) => e[kind]).map((e) => ({ fn, event: e[kind] as Record<string, unknown>, kind })))[0];
  const found = withEvent('kafka') ?? withEvent('msk');
  const fn = found?.fn ?? service.functions.find((f) => f.key === KAFKA_FUNCTION_KEY);
  if (!fn) {
    throw new MappingConfigError(`KAFKA_BROKERS is set, but no function has a kafka or msk event and there is no ${KAFKA_FUNCTION_KEY} function to invoke`);
  }
  const e = found?.event ?? {};
  const where = found ? `${fn.key}: ${found.kind} event` : `${fn.key} (no Kafka event: defaults)`;
  const startingPosition = String(e['startingPosition'] ?? 'TRIM_HORIZON');
  if (startingPosition !== 'TRIM_HORIZON' && startingPosition !== 'LATEST') {
    throw new MappingConfigError(`${where}: startingPosition ${startingPosition} is not TRIM_HORIZON or LATEST`);
  }
  const window = bounded(e['maximumBatchingWindow'], 0, 0, 300, `${where}: maximumBatchingWindow`);
  const group = e['consumerGroupId'] ?? service.params['kafkaConsumerGroupId'] ?? `${service.service}-${service.stage}-ingest`;
  return {
    kind: 'kafka',
    functionKey: fn.key,
    functionName: fn.name,
    brokers: settings.brokers,
    topics: settings.topics ?? [String(e['topic'] ?? service.params['kafkaTopic'] ?? 'events')],
    consumerGroupId: `${String(group)}${LOCAL_CONSUMER_GROUP_SUFFIX}`,
    batchSize: bounded(e['batchSize'], 100, 1, 10_000, `${where}: batchSize`),
    batchWindowSeconds: window === 0 ? KAFKA_DEFAULT_BATCH_WINDOW_SECONDS : window,
    startingPosition,
    settingsFrom: found ? `${found.kind} event` : 'defaults',
    enabled: e['enabled'] !== false,
  };
}

function kinesisMapping(fn: FunctionDescription, e: Record<string, unknown>, resources: ReadonlyMap<string, LocalResource>): KinesisMappingConfig {
  const where = `${fn.key}: stream event`;
  if (e['type'] !== undefined && e['type'] !== 'kinesis') throw new MappingConfigError(`${where}: only kinesis streams run locally`);
  const stream = resourceOf(e['arn'], resources, where);
  const startingPosition = String(e['startingPosition'] ?? 'LATEST');
  if (!['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'].includes(startingPosition)) {
    throw new MappingConfigError(`${where}: startingPosition ${startingPosition} is not TRIM_HORIZON, LATEST or AT_TIMESTAMP`);
  }
  const onFailure = (e['destinations'] as { onFailure?: unknown } | undefined)?.onFailure;
  return {
    kind: 'kinesis',
    functionKey: fn.key,
    functionName: fn.name,
    streamName: stream.name,
    streamArn: stream.arn,
    batchSize: bounded(e['batchSize'], 100, 1, 10_000, `${where}: batchSize`),
    batchWindowSeconds: bounded(e['batchWindow'] ?? e['maximumBatchingWindow'], 0, 0, 300, `${where}: batchWindow`),
    parallelizationFactor: bounded(e['parallelizationFactor'], 1, 1, 10, `${where}: parallelizationFactor`),
    startingPosition: startingPosition as KinesisMappingConfig['startingPosition'],
    ...(e['startingPositionTimestamp'] !== undefined ? { startingPositionTimestamp: Number(e['startingPositionTimestamp']) * 1000 } : {}),
    reportBatchItemFailures: e['functionResponseType'] === 'ReportBatchItemFailures',
    bisectBatchOnFunctionError: e['bisectBatchOnFunctionError'] === true,
    maximumRetryAttempts: bounded(e['maximumRetryAttempts'], -1, -1, 10_000, `${where}: maximumRetryAttempts`),
    maximumRecordAgeSeconds: recordAge(e['maximumRecordAgeInSeconds'], where),
    ...(onFailure ? { onFailure: destinationOf(onFailure, resources, where) } : {}),
    enabled: e['enabled'] !== false,
  };
}

function sqsMapping(fn: FunctionDescription, e: Record<string, unknown> | string, resources: ReadonlyMap<string, LocalResource>): SqsMappingConfig {
  const where = `${fn.key}: sqs event`;
  const settings = typeof e === 'string' ? { arn: e } : e;
  const queue = resourceOf(settings['arn'], resources, where);
  const batchWindowSeconds = bounded(settings['maximumBatchingWindow'], 0, 0, 300, `${where}: maximumBatchingWindow`);
  const batchSize = bounded(settings['batchSize'], 10, 1, 10_000, `${where}: batchSize`);
  if (batchSize > 10 && batchWindowSeconds === 0) {
    throw new MappingConfigError(`${where}: a batchSize above 10 needs maximumBatchingWindow of at least 1 s (as in AWS)`);
  }
  const scaling = settings['maximumConcurrency'];
  return {
    kind: 'sqs',
    functionKey: fn.key,
    functionName: fn.name,
    queueName: queue.name,
    queueArn: queue.arn,
    queueUrl: queue.url!,
    batchSize,
    batchWindowSeconds,
    reportBatchItemFailures: settings['functionResponseType'] === 'ReportBatchItemFailures',
    maximumConcurrency: bounded(scaling, 2, 2, 1000, `${where}: maximumConcurrency`),
    enabled: settings['enabled'] !== false,
  };
}

function resourceOf(arn: unknown, resources: ReadonlyMap<string, LocalResource>, where: string): LocalResource {
  const id = logicalIdOf(arn);
  const byId = id ? resources.get(id) : undefined;
  const byArn = typeof arn === 'string' ? [...resources.values()].find((r) => r.arn === arn || r.name === arn.split(/[:/]/).pop()) : undefined;
  const resource = byId ?? byArn;
  if (!resource) {
    throw new MappingConfigError(`${where}: ${JSON.stringify(arn)} is not a resource of resources/*.yml, so it cannot run locally`);
  }
  return resource;
}

function destinationOf(onFailure: unknown, resources: ReadonlyMap<string, LocalResource>, where: string): OnFailureDestination {
  const arn = typeof onFailure === 'object' && onFailure !== null && 'arn' in onFailure ? (onFailure as { arn: unknown }).arn : onFailure;
  const resource = resourceOf(arn, resources, `${where}: destinations.onFailure`);
  if (resource.type !== 'AWS::SQS::Queue') {
    throw new MappingConfigError(`${where}: destinations.onFailure must be an SQS queue locally, got ${resource.type}`);
  }
  return { queueName: resource.name, queueArn: resource.arn };
}

function bounded(value: unknown, fallback: number, min: number, max: number, what: string): number {
  if (value === undefined || value === null) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new MappingConfigError(`${what} must be an integer from ${min} to ${max}, got ${String(value)}`);
  return n;
}

function recordAge(value: unknown, where: string): number {
  if (value === undefined || value === null || Number(value) === -1) return -1;
  return bounded(value, -1, 60, 604_800, `${where}: maximumRecordAgeInSeconds`);
}

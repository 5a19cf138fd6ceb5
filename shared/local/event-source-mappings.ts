// Turns the `stream` and `sqs` events of serverless.yml into event source mapping settings,
// with the defaults AWS applies when a setting is absent. Pure, so every setting is tested.
import { logicalIdOf, type LocalResource } from './local-resources.js';
import type { FunctionDescription } from './service-description.js';

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

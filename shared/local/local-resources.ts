// Creates the resources of resources/*.yml in the local emulators (streams, buckets, queues,
// tables), so the local stack and a deployed stage share one definition.
import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CfnResource } from './service-description.js';

/** The account id the emulators use in ARNs. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** A resource created locally, with what references to it resolve to. */
export interface LocalResource {
  readonly logicalId: string;
  readonly type: string;
  readonly name: string;
  readonly arn: string;
  /** Queue URL for SQS queues. */
  readonly url?: string;
}

/** The clients of the emulators. */
export interface EmulatorClients {
  readonly kinesis: KinesisClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
}

/** Options of {@link provisionLocalResources}. */
export interface ProvisionOptions {
  readonly region: string;
  /** Shards of an on-demand stream locally (on-demand has no fixed count). */
  readonly onDemandShards: number;
}

const SUPPORTED = new Set(['AWS::Kinesis::Stream', 'AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::DynamoDB::Table']);

/**
 * Creates every supported resource and returns them by logical id; others (IAM, policies,
 * alarms) have no local meaning and are skipped.
 *
 * @example const resources = await provisionLocalResources(service.resources, clients, { region: 'us-east-1', onDemandShards: 4 });
 */
export async function provisionLocalResources(
  resources: Readonly<Record<string, CfnResource>>,
  clients: EmulatorClients,
  options: ProvisionOptions,
): Promise<Map<string, LocalResource>> {
  const created = new Map<string, LocalResource>();
  // Queues referenced as dead-letter targets first, so redrive policies can name them.
  const ordered = Object.entries(resources)
    .filter(([, r]) => SUPPORTED.has(r.Type))
    .sort(([, a], [, b]) => Number(hasRedrive(a)) - Number(hasRedrive(b)));
  for (const [logicalId, resource] of ordered) {
    created.set(logicalId, await provision(logicalId, resource, clients, options, created));
  }
  return created;
}

async function provision(
  logicalId: string,
  resource: CfnResource,
  clients: EmulatorClients,
  options: ProvisionOptions,
  created: Map<string, LocalResource>,
): Promise<LocalResource> {
  const p = resource.Properties ?? {};
  const { region } = options;
  switch (resource.Type) {
    case 'AWS::Kinesis::Stream': {
      const name = String(p['Name'] ?? logicalId);
      const shards = typeof p['ShardCount'] === 'number' ? p['ShardCount'] : options.onDemandShards;
      await clients.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
      await waitForStream(clients.kinesis, name);
      return { logicalId, type: resource.Type, name, arn: `arn:aws:kinesis:${region}:${LOCAL_ACCOUNT_ID}:stream/${name}` };
    }
    case 'AWS::S3::Bucket': {
      const name = String(p['BucketName'] ?? logicalId.toLowerCase());
      await clients.s3.send(new CreateBucketCommand({ Bucket: name }));
      return { logicalId, type: resource.Type, name, arn: `arn:aws:s3:::${name}` };
    }
    case 'AWS::SQS::Queue': {
      const name = String(p['QueueName'] ?? logicalId);
      const attributes: Record<string, string> = {};
      for (const key of ['VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'ReceiveMessageWaitTimeSeconds', 'MaximumMessageSize']) {
        if (typeof p[key] === 'number' || typeof p[key] === 'string') attributes[key] = String(p[key]);
      }
      const redrive = p['RedrivePolicy'] as { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown } | undefined;
      if (redrive) {
        const target = resolveArn(redrive.deadLetterTargetArn, created);
        attributes['RedrivePolicy'] = JSON.stringify({ deadLetterTargetArn: target, maxReceiveCount: Number(redrive.maxReceiveCount) });
      }
      const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      return { logicalId, type: resource.Type, name, arn: `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:${name}`, url: QueueUrl! };
    }
    case 'AWS::DynamoDB::Table': {
      const name = String(p['TableName'] ?? logicalId);
      await clients.dynamodb.send(
        new CreateTableCommand({
          TableName: name,
          KeySchema: p['KeySchema'] as never,
          AttributeDefinitions: p['AttributeDefinitions'] as never,
          GlobalSecondaryIndexes: p['GlobalSecondaryIndexes'] as never,
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      return { logicalId, type: resource.Type, name, arn: `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT_ID}:table/${name}` };
    }
    default:
      throw new Error(`unsupported resource type ${resource.Type}`);
  }
}

/**
 * Resolves `Fn::GetAtt: [X, Arn]`, `Ref: X` or a literal ARN against created resources.
 *
 * @example resolveArn({ 'Fn::GetAtt': ['EventStream', 'Arn'] }, resources) // 'arn:aws:kinesis:…:stream/event-lake-dev-events'
 */
export function resolveArn(value: unknown, resources: ReadonlyMap<string, LocalResource>): string {
  if (typeof value === 'string') return value;
  const ref = logicalIdOf(value);
  const resource = ref ? resources.get(ref) : undefined;
  if (!resource) throw new Error(`cannot resolve ${JSON.stringify(value)} to a local resource`);
  return resource.arn;
}

/** The logical id an intrinsic function points at, if it is a GetAtt or a Ref. */
export function logicalIdOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const getAtt = (value as Record<string, unknown>)['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return String(getAtt[0]);
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  const ref = (value as Record<string, unknown>)['Ref'];
  return typeof ref === 'string' ? ref : undefined;
}

function hasRedrive(resource: CfnResource): boolean {
  return resource.Type === 'AWS::SQS::Queue' && resource.Properties?.['RedrivePolicy'] !== undefined;
}

async function waitForStream(kinesis: KinesisClient, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

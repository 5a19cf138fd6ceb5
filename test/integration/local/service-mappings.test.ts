// The local stack reads its event source settings from serverless.yml as resolved for a
// stage: a change there must change the local behaviour, with no second list to keep.
import { describe, expect, it } from 'vitest';
import { mappingsOf, MappingConfigError } from '../../../shared/local/event-source-mappings.js';
import type { LocalResource } from '../../../shared/local/local-resources.js';
import { describeService, parseServiceDescription } from '../../../shared/local/service-description.js';

const resources = new Map<string, LocalResource>([
  ['EventStream', { logicalId: 'EventStream', type: 'AWS::Kinesis::Stream', name: 'event-lake-dev-events', arn: 'arn:aws:kinesis:us-east-1:000000000000:stream/event-lake-dev-events' }],
  ['IngestFailuresQueue', { logicalId: 'IngestFailuresQueue', type: 'AWS::SQS::Queue', name: 'event-lake-dev-ingest-failures', arn: 'arn:aws:sqs:us-east-1:000000000000:event-lake-dev-ingest-failures', url: 'http://q' }],
  ['PartnerIngestQueue', { logicalId: 'PartnerIngestQueue', type: 'AWS::SQS::Queue', name: 'event-lake-dev-partner-ingest', arn: 'arn:aws:sqs:us-east-1:000000000000:event-lake-dev-partner-ingest', url: 'http://pq' }],
  ['IngestQueue', { logicalId: 'IngestQueue', type: 'AWS::SQS::Queue', name: 'q', arn: 'arn:aws:sqs:us-east-1:000000000000:q', url: 'http://q' }],
]);

describe('event source mappings from serverless.yml', () => {
  it('uses the dev stage params of serverless.yml for the Kinesis and queue mappings', async () => {
    const service = await describeService({ stage: 'dev' });
    expect(service.resources['EventStream']?.Type).toBe('AWS::Kinesis::Stream');
    const [kinesis, queue] = mappingsOf(service.functions, resources);
    expect(kinesis).toMatchObject({
      kind: 'kinesis',
      functionKey: 'ingestKinesis',
      functionName: 'event-lake-dev-ingestKinesis',
      streamName: 'event-lake-dev-events',
      batchSize: 1000,
      batchWindowSeconds: 0, // the dev stage's own param (latency over file count locally)
      parallelizationFactor: 1,
      startingPosition: 'TRIM_HORIZON',
      reportBatchItemFailures: true,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 10,
      maximumRecordAgeSeconds: 3600,
      onFailure: { queueName: 'event-lake-dev-ingest-failures' },
    });
    expect(queue).toMatchObject({
      kind: 'sqs',
      functionKey: 'ingestQueue',
      queueName: 'event-lake-dev-partner-ingest',
      batchSize: 10,
      batchWindowSeconds: 0, // dev param
      reportBatchItemFailures: true,
      maximumConcurrency: 10,
    });
  }, 60_000);

  it('applies AWS defaults for settings left out and rejects values Lambda would reject', () => {
    const fn = (events: Record<string, unknown>[]) =>
      parseServiceDescription({ service: 's', provider: {}, functions: { f: { events } } }, 'dev').functions;
    expect(mappingsOf(fn([{ stream: { arn: { 'Fn::GetAtt': ['EventStream', 'Arn'] } } }]), resources)[0]).toMatchObject({
      batchSize: 100,
      batchWindowSeconds: 0,
      parallelizationFactor: 1,
      startingPosition: 'LATEST',
      reportBatchItemFailures: false,
      bisectBatchOnFunctionError: false,
      maximumRetryAttempts: -1,
      maximumRecordAgeSeconds: -1,
    });
    expect(() => mappingsOf(fn([{ stream: { arn: { 'Fn::GetAtt': ['EventStream', 'Arn'] }, batchSize: 20_000 } }]), resources)).toThrow(MappingConfigError);
    expect(() => mappingsOf(fn([{ stream: { arn: { 'Fn::GetAtt': ['Nope', 'Arn'] } } }]), resources)).toThrow(/not a resource of resources/);
    expect(() => mappingsOf(fn([{ sqs: { arn: { 'Fn::GetAtt': ['IngestQueue', 'Arn'] }, batchSize: 100 } }]), resources)).toThrow(/needs maximumBatchingWindow/);
    expect(mappingsOf(fn([{ sqs: { arn: { 'Fn::GetAtt': ['IngestQueue', 'Arn'] } } }]), resources)[0]).toMatchObject({ kind: 'sqs', batchSize: 10, queueName: 'q' });
  });
});

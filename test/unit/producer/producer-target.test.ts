import { describe, expect, it } from 'vitest';
import { NO_LOCAL_STACK, resolveProducerTarget, type LocalStackInfo } from '../../../shared/producer/producer-target.js';

const stack: LocalStackInfo = {
  region: 'eu-west-1',
  endpoints: { kinesis: 'http://127.0.0.1:4567' },
  resources: { stream: 'event-lake-local-events' },
};
const noCredentials = { hasCredentials: false };

describe('resolveProducerTarget', () => {
  it('targets the local stack by default, with dummy credentials when none are set', () => {
    expect(resolveProducerTarget({}, stack, noCredentials)).toEqual({
      streamName: 'event-lake-local-events',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:4567',
      dummyCredentials: true,
      description: 'local stack (http://127.0.0.1:4567)',
    });
    expect(resolveProducerTarget({}, stack, { hasCredentials: true }).dummyCredentials).toBe(false);
  });

  it('lets --stream and --region override the local stack', () => {
    expect(resolveProducerTarget({ stream: 'other', region: 'us-east-2' }, stack, noCredentials)).toMatchObject({
      streamName: 'other',
      region: 'us-east-2',
      endpoint: 'http://127.0.0.1:4567',
    });
  });

  it('targets a deployed stage by its stream name, with the default AWS credentials and region', () => {
    expect(resolveProducerTarget({ stage: 'prod' }, stack, noCredentials)).toEqual({
      streamName: 'event-lake-prod-events',
      region: undefined,
      endpoint: undefined,
      dummyCredentials: false,
      description: 'stage prod (AWS (default region))',
    });
    expect(resolveProducerTarget({ stage: 'staging', stream: 'x', region: 'eu-central-1' }, undefined, noCredentials)).toMatchObject({
      streamName: 'x',
      region: 'eu-central-1',
    });
    expect(() => resolveProducerTarget({ stage: 'prod; rm' }, undefined, noCredentials)).toThrow(/not a valid stage/);
  });

  it('sends to an explicit endpoint, which needs a stream name', () => {
    expect(resolveProducerTarget({ endpoint: 'http://localhost:1', stream: 's' }, undefined, noCredentials)).toEqual({
      streamName: 's',
      region: 'us-east-1',
      endpoint: 'http://localhost:1',
      dummyCredentials: true,
      description: 'endpoint http://localhost:1',
    });
    expect(() => resolveProducerTarget({ endpoint: 'http://localhost:1' }, undefined, noCredentials)).toThrow(/--stream/);
  });

  it('takes a lone --stream without a local stack as a deployed stream', () => {
    expect(resolveProducerTarget({ stream: 'mine' }, undefined, noCredentials)).toMatchObject({
      streamName: 'mine',
      endpoint: undefined,
      dummyCredentials: false,
    });
  });

  it('says how to start the local stack when there is none and nothing else is given', () => {
    expect(() => resolveProducerTarget({}, undefined, noCredentials)).toThrow(NO_LOCAL_STACK);
    expect(() => resolveProducerTarget({}, { region: 'us-east-1' }, noCredentials)).toThrow(NO_LOCAL_STACK);
  });
});

// Where the traffic producer sends: the running local stack by default, a deployed stage's
// stream with --stage, or any endpoint with --endpoint. Pure: the caller reads the files.
import { ConfigError } from '../errors.js';

/** The `service` of serverless.yml; resources/kinesis.yml names the stream after it. */
const SERVICE = 'event-lake';
/** Stage names are part of CloudFormation resource names. */
const STAGE = /^[a-zA-Z][a-zA-Z0-9-]{0,31}$/;

/** The producer's command-line choices of target. */
export interface ProducerTargetArgs {
  readonly stream?: string;
  readonly stage?: string;
  readonly region?: string;
  readonly endpoint?: string;
}

/** The fields of `.local/stack.json` the producer reads. */
export interface LocalStackInfo {
  readonly region?: string;
  readonly endpoints?: { readonly kinesis?: string };
  readonly resources?: { readonly stream?: string };
}

/** A resolved target. */
export interface ProducerTarget {
  readonly streamName: string;
  /** Undefined: the AWS SDK's default chain (AWS_REGION, profile). */
  readonly region: string | undefined;
  /** Undefined: the real AWS endpoint of the region. */
  readonly endpoint: string | undefined;
  /** Emulators accept any credentials; this says to use `test`/`test`. */
  readonly dummyCredentials: boolean;
  /** For messages, e.g. "local stack (http://127.0.0.1:4567)". */
  readonly description: string;
}

/** The message when nothing says where to send. */
export const NO_LOCAL_STACK =
  'no local stack: start it with `npm run dev`, or pass --stream/--stage for a deployed stage';

/**
 * Resolves the target: `--stage` means the deployed `event-lake-<stage>-events` with the
 * default AWS credentials; otherwise `--endpoint`, else the local stack; `--stream`
 * overrides the stream name, and with neither stack nor endpoint names a deployed stream.
 *
 * @example resolveProducerTarget({ stage: 'prod' }, undefined, { hasCredentials: true }).streamName // 'event-lake-prod-events'
 */
export function resolveProducerTarget(
  args: ProducerTargetArgs,
  stack: LocalStackInfo | undefined,
  env: { readonly hasCredentials: boolean },
): ProducerTarget {
  const dummy = !env.hasCredentials;
  if (args.stage !== undefined) {
    if (!STAGE.test(args.stage)) throw new ConfigError(`--stage "${args.stage}" is not a valid stage name`);
    const streamName = args.stream ?? `${SERVICE}-${args.stage}-events`;
    const where = args.endpoint ?? `AWS ${args.region ?? '(default region)'}`;
    return {
      streamName,
      region: args.region,
      endpoint: args.endpoint,
      dummyCredentials: args.endpoint !== undefined && dummy,
      description: `stage ${args.stage} (${where})`,
    };
  }
  if (args.endpoint !== undefined) {
    const streamName = args.stream ?? stack?.resources?.stream;
    if (!streamName) throw new ConfigError(`--endpoint needs --stream (or a local stack that names its stream)`);
    return {
      streamName,
      region: args.region ?? stack?.region ?? 'us-east-1',
      endpoint: args.endpoint,
      dummyCredentials: dummy,
      description: `endpoint ${args.endpoint}`,
    };
  }
  const localEndpoint = stack?.endpoints?.kinesis;
  if (localEndpoint) {
    const streamName = args.stream ?? stack.resources?.stream;
    if (!streamName) throw new ConfigError('the local stack names no Kinesis stream (resources.stream); pass --stream');
    return {
      streamName,
      region: args.region ?? stack.region ?? 'us-east-1',
      endpoint: localEndpoint,
      dummyCredentials: dummy,
      description: `local stack (${localEndpoint})`,
    };
  }
  if (args.stream !== undefined) {
    return {
      streamName: args.stream,
      region: args.region,
      endpoint: undefined,
      dummyCredentials: false,
      description: `AWS ${args.region ?? '(default region)'}`,
    };
  }
  throw new ConfigError(NO_LOCAL_STACK);
}

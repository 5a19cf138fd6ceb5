// Sends planned records to a Kinesis stream with PutRecords at a target rate: batches within
// the API's limits, a window of requests in flight, and retries with backoff of the entries
// a partial failure rejects, counting every record until it is delivered or given up on.
import { setTimeout as delay } from 'node:timers/promises';
import { PutRecordsCommand, type KinesisClient, type PutRecordsOutput } from '@aws-sdk/client-kinesis';
import { fullJitterBackoff, type BackoffOptions } from './backoff.js';
import { ProducerError } from './errors.js';
import type { KindCounts, ProducerProgress, ProducerReport, StopReason } from './producer-report.js';
import { RateLimiter } from './rate-limiter.js';
import type { EventCounts, PlannedRecord, RecordKind } from './traffic-plan.js';

/** PutRecords accepts at most 500 records per request (AWS Kinesis service quota). */
export const MAX_RECORDS_PER_REQUEST = 500;
/** PutRecords accepts at most 5 MiB per request, data and partition keys counted. */
export const MAX_BYTES_PER_REQUEST = 5 * 1024 * 1024;
/** A single record, data plus partition key, may be at most 1 MiB. */
export const MAX_RECORD_BYTES = 1024 * 1024;

/** Entry error codes PutRecords documents for a partial failure; both are worth a retry. */
const RETRYABLE_ENTRY_ERRORS = new Set(['ProvisionedThroughputExceededException', 'InternalFailure', 'KMSThrottlingException']);
/** Whole-request errors that are transient; anything else (no stream, no access) is fatal. */
const TRANSIENT_REQUEST_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'InternalFailure',
  'InternalFailureException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ThrottlingException',
  'KMSThrottlingException',
  'TimeoutError',
  'RequestTimeout',
]);
const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN']);

/** Scheduling time; injectable so tests need not wait out backoff delays. */
export interface ProducerClock {
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Options of {@link produceToKinesis}. */
export interface KinesisProducerOptions {
  readonly client: Pick<KinesisClient, 'send'>;
  readonly streamName: string;
  /** Where records come from, e.g. a `TrafficPlan`; `now` is the wall clock in epoch ms. */
  readonly plan: { next(now: number): PlannedRecord };
  /** Target records per second. */
  readonly ratePerSecond: number;
  /** Stop planning new records after this long. */
  readonly durationSeconds?: number;
  /** Stop after this many records. */
  readonly count?: number;
  /** Stop planning on abort; requests in flight (and their retries) still finish. */
  readonly signal?: AbortSignal;
  /** Concurrent PutRecords requests (default 8). */
  readonly maxInFlight?: number;
  /** Attempts per record before it counts as failed (default 8). */
  readonly maxAttempts?: number;
  /**
   * Longest a planned record waits for companions before a partial batch is sent (default
   * 50 ms): full batches at high rates, low latency and a smooth pace at low ones.
   */
  readonly lingerMs?: number;
  readonly backoff?: BackoffOptions;
  readonly onProgress?: (progress: ProducerProgress) => void;
  /** Default 1,000 ms. */
  readonly progressIntervalMs?: number;
  readonly clock?: ProducerClock;
  /** Randomness of the backoff jitter (default Math.random). */
  readonly random?: () => number;
}

const realClock: ProducerClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
};

/**
 * Sends records from `plan` until `count` records, `durationSeconds` or an abort, and
 * reports what happened. Records that still fail after `maxAttempts` count as `failed`; a
 * fatal error (missing stream, access denied, unreachable endpoint) stops the run and is
 * thrown as a {@link ProducerError} carrying the report.
 *
 * @example
 * const report = await produceToKinesis({
 *   client: new KinesisClient({}), streamName: 'event-lake-dev-events',
 *   plan: new TrafficPlan(seededRandom(1)), ratePerSecond: 1000, durationSeconds: 60,
 *   onProgress: (p) => console.error(formatProgressLine(p)),
 * });
 */
export async function produceToKinesis(options: KinesisProducerOptions): Promise<ProducerReport> {
  return new ProducerRun(options).run();
}

/** The state of one run; `produceToKinesis` is its only entry point. */
class ProducerRun {
  private readonly clock: ProducerClock;
  private readonly random: () => number;
  private readonly maxInFlight: number;
  private readonly maxAttempts: number;
  private readonly lingerMs: number;
  private readonly count: number;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly byKind: Record<RecordKind, KindCounts> = {
    valid: { sent: 0, failed: 0, retried: 0 },
    late: { sent: 0, failed: 0, retried: 0 },
    malformed: { sent: 0, failed: 0, retried: 0 },
  };
  private readonly events: EventCounts = { valid: 0, late: 0, malformed: 0 };
  private readonly errors: Record<string, number> = {};
  private planned = 0;
  private sent = 0;
  private failed = 0;
  private retried = 0;
  private requests = 0;
  private bytes = 0;
  private fatal: ProducerError | undefined;

  constructor(private readonly options: KinesisProducerOptions) {
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.maxInFlight = positiveInteger('maxInFlight', options.maxInFlight ?? 8);
    this.maxAttempts = positiveInteger('maxAttempts', options.maxAttempts ?? 8);
    this.lingerMs = options.lingerMs ?? 50;
    this.count = options.count === undefined ? Number.POSITIVE_INFINITY : options.count;
    if (options.durationSeconds !== undefined && !(options.durationSeconds > 0)) {
      throw new RangeError(`durationSeconds must be positive, got ${options.durationSeconds}`);
    }
  }

  async run(): Promise<ProducerReport> {
    const { options, clock } = this;
    const limiter = new RateLimiter(options.ratePerSecond, { now: clock.now });
    const started = clock.now();
    const deadline = options.durationSeconds === undefined ? Number.POSITIVE_INFINITY : started + options.durationSeconds * 1000;
    const stopProgress = this.startProgress(started);
    const pending: PlannedRecord[] = [];
    let pendingSince = started;
    let stoppedBy: StopReason;
    try {
      for (;;) {
        const now = clock.now();
        const stop = this.stopReason(now, deadline);
        if (stop) {
          stoppedBy = stop;
          break;
        }
        // Plan only what the rate allows, and at most one request's worth ahead of sending.
        if (pending.length < MAX_RECORDS_PER_REQUEST) {
          const allowed = limiter.take(Math.min(MAX_RECORDS_PER_REQUEST - pending.length, this.count - this.planned));
          if (allowed > 0 && pending.length === 0) pendingSince = now;
          for (let i = 0; i < allowed && !this.fatal; i++) {
            pending.push(this.checkSize(options.plan.next(Date.now())));
            this.planned += 1;
          }
        }
        const due =
          pending.length >= MAX_RECORDS_PER_REQUEST || (pending.length > 0 && (now - pendingSince >= this.lingerMs || this.planned >= this.count));
        if (due && this.inFlight.size < this.maxInFlight) {
          this.launch(takeBatch(pending));
          pendingSince = now;
        } else if (due) {
          await Promise.race(this.inFlight);
        } else {
          const lingerLeft = pending.length > 0 ? pendingSince + this.lingerMs - now : Number.POSITIVE_INFINITY;
          const wait = Math.min(limiter.msUntilAvailable(), lingerLeft, deadline - now);
          await clock.sleep(Math.max(1, wait), options.signal);
        }
      }
      // Whatever was planned is sent, also on abort: a run never loses a record silently.
      while (pending.length > 0 && !this.fatal) {
        if (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
        else this.launch(takeBatch(pending));
      }
      await Promise.all(this.inFlight);
    } finally {
      stopProgress();
    }
    // Only a fatal error leaves planned records unsent.
    this.countFailed(pending, 'NotSent');
    const report = this.report(clock.now() - started, this.fatal ? 'error' : stoppedBy);
    if (this.fatal) throw new ProducerError(this.fatal.message, report, { cause: this.fatal.cause });
    return report;
  }

  private stopReason(now: number, deadline: number): StopReason | undefined {
    if (this.fatal) return 'error';
    if (this.options.signal?.aborted) return 'signal';
    if (this.planned >= this.count) return 'count';
    if (now >= deadline) return 'duration';
    return undefined;
  }

  private checkSize(record: PlannedRecord): PlannedRecord {
    const size = recordBytes(record);
    if (size > MAX_RECORD_BYTES && !this.fatal) {
      this.fatal = new ProducerError(`a planned record has ${size} bytes, over the Kinesis limit of ${MAX_RECORD_BYTES}`, undefined);
    }
    return record;
  }

  private launch(batch: PlannedRecord[]): void {
    const task: Promise<void> = this.deliver(batch).finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  /** Puts a batch, retrying rejected entries with backoff; never rejects. */
  private async deliver(batch: PlannedRecord[]): Promise<void> {
    let entries = batch;
    for (let attempt = 1; ; attempt++) {
      let retry: PlannedRecord[];
      try {
        this.requests += 1;
        const output = await this.options.client.send(
          new PutRecordsCommand({
            StreamName: this.options.streamName,
            Records: entries.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
          }),
        );
        retry = this.settle(entries, output);
      } catch (error) {
        const code = errorCode(error);
        this.noteError(code, entries.length);
        if (!isTransient(error)) {
          this.fatal ??= new ProducerError(describeFatal(error, this.options.streamName), undefined, { cause: error });
          this.countFailed(entries, code);
          return;
        }
        retry = entries;
      }
      if (retry.length === 0) return;
      if (attempt >= this.maxAttempts) {
        this.countFailed(retry, undefined);
        return;
      }
      for (const r of retry) this.byKind[r.kind].retried += 1;
      this.retried += retry.length;
      // Not interrupted by the abort signal: a stopping run still delivers what it holds.
      await this.clock.sleep(fullJitterBackoff(attempt, this.random, this.options.backoff));
      entries = retry;
    }
  }

  /** Counts the delivered entries of a response; returns the ones worth retrying. */
  private settle(entries: readonly PlannedRecord[], output: PutRecordsOutput): PlannedRecord[] {
    const results = output.Records ?? [];
    const retry: PlannedRecord[] = [];
    entries.forEach((record, i) => {
      const code = results[i]?.ErrorCode ?? (results[i] ? undefined : 'MissingResult');
      if (code === undefined) {
        this.sent += 1;
        this.bytes += record.data.length;
        this.byKind[record.kind].sent += 1;
        this.events.valid += record.events.valid;
        this.events.late += record.events.late;
        this.events.malformed += record.events.malformed;
        return;
      }
      this.noteError(code, 1);
      if (RETRYABLE_ENTRY_ERRORS.has(code) || code === 'MissingResult') retry.push(record);
      else this.countFailed([record], undefined);
    });
    return retry;
  }

  private countFailed(records: readonly PlannedRecord[], code: string | undefined): void {
    if (records.length === 0) return;
    if (code === 'NotSent') this.noteError(code, records.length);
    for (const r of records) this.byKind[r.kind].failed += 1;
    this.failed += records.length;
  }

  private noteError(code: string, n: number): void {
    this.errors[code] = (this.errors[code] ?? 0) + n;
  }

  private startProgress(started: number): () => void {
    const { onProgress } = this.options;
    if (!onProgress) return () => undefined;
    let lastSent = 0;
    let lastAt = started;
    const timer = setInterval(() => {
      const now = this.clock.now();
      const rate = now > lastAt ? ((this.sent - lastSent) * 1000) / (now - lastAt) : 0;
      lastSent = this.sent;
      lastAt = now;
      onProgress({
        elapsedMs: now - started,
        sent: this.sent,
        failed: this.failed,
        retried: this.retried,
        inFlight: this.inFlight.size,
        ratePerSecond: rate,
      });
    }, this.options.progressIntervalMs ?? 1000);
    timer.unref();
    return () => clearInterval(timer);
  }

  private report(elapsedMs: number, stoppedBy: StopReason): ProducerReport {
    return {
      streamName: this.options.streamName,
      elapsedMs,
      planned: this.planned,
      sent: this.sent,
      failed: this.failed,
      retried: this.retried,
      requests: this.requests,
      bytes: this.bytes,
      ratePerSecond: elapsedMs > 0 ? (this.sent * 1000) / elapsedMs : this.sent,
      byKind: this.byKind,
      events: this.events,
      errors: this.errors,
      stoppedBy,
    };
  }
}

/** Takes the longest head of `pending` that fits one PutRecords request. */
function takeBatch(pending: PlannedRecord[]): PlannedRecord[] {
  let n = 0;
  let bytes = 0;
  while (n < pending.length && n < MAX_RECORDS_PER_REQUEST) {
    const size = recordBytes(pending[n]!);
    if (n > 0 && bytes + size > MAX_BYTES_PER_REQUEST) break;
    bytes += size;
    n += 1;
  }
  return pending.splice(0, n);
}

function recordBytes(record: PlannedRecord): number {
  return record.data.length + Buffer.byteLength(record.partitionKey);
}

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
  errors?: { code?: string }[];
}

function errorCode(error: unknown): string {
  const e = error as AwsLikeError;
  return e.code ?? e.errors?.find((x) => x.code)?.code ?? e.name ?? 'Error';
}

function isTransient(error: unknown): boolean {
  const e = error as AwsLikeError;
  if (e.$retryable) return true;
  if (e.name && TRANSIENT_REQUEST_ERRORS.has(e.name)) return true;
  if ((e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return TRANSIENT_NETWORK_CODES.has(errorCode(error));
}

function describeFatal(error: unknown, streamName: string): string {
  const e = error as AwsLikeError;
  const detail = e.message || errorCode(error);
  if (e.name === 'ResourceNotFoundException') return `stream "${streamName}" does not exist (${detail})`;
  if (errorCode(error) === 'ECONNREFUSED') return `cannot reach Kinesis: connection refused (${detail})`;
  return `PutRecords to "${streamName}" failed: ${errorCode(error)}: ${detail}`;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

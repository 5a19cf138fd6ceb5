// The error hierarchy: permanent errors mean bad data (quarantine, never retry); retryable
// errors mean infrastructure trouble (report a batch item failure and let Lambda retry).

/** Base class of every error the pipeline raises on purpose. */
export class PipelineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A record that can never succeed as it is: undecodable, or failing its schema.
 * Carries a short machine-readable `code` and a human-readable reason.
 *
 * @example throw new PermanentRecordError('bad_json', 'payload is not JSON: Unexpected token');
 */
export class PermanentRecordError extends PipelineError {
  constructor(
    readonly code: QuarantineCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Why a record was quarantined; stable strings stored in Postgres and S3. */
export type QuarantineCode =
  | 'bad_base64'
  | 'bad_gzip'
  | 'bad_json'
  | 'not_an_object'
  | 'record_too_large'
  | 'missing_field'
  | 'bad_field'
  | 'unknown_schema'
  | 'schema_violation'
  /** A Kafka record with a null value (a delete marker of a compacted topic): no event to ingest. */
  | 'tombstone';

/**
 * A store (S3, Postgres) failed: the batch is retried from the first unprocessed record.
 *
 * @example throw new RetryableError('S3 PutObject failed', { cause: err });
 */
export class RetryableError extends PipelineError {}

/**
 * Another writer advanced the shard checkpoint between our read and our commit.
 * Retrying is safe: the retry skips what the other writer committed.
 */
export class CheckpointConflictError extends RetryableError {
  constructor(
    readonly stream: string,
    readonly shard: string,
    readonly expected: string | null,
  ) {
    super(`checkpoint of ${stream}/${shard} moved (expected ${expected ?? 'none'})`);
  }
}

/**
 * Some events of a queue batch were committed by another delivery between our dedupe read and
 * our commit. Retrying is safe: the retry drops them as duplicates.
 */
export class DuplicateEventConflictError extends RetryableError {
  constructor(
    readonly stream: string,
    readonly shard: string,
    readonly duplicates: number,
  ) {
    super(`${duplicates} events of this ${stream}/${shard} batch were committed meanwhile by another delivery`);
  }
}

/** A setting is missing or invalid; raised at cold start with the variable's name. */
export class ConfigError extends PipelineError {}

// Errors of the partner webhook that are the client's to fix: each carries the HTTP status
// and a stable code, and its message is safe to show (no internals).
import { PipelineError } from '../errors.js';

/**
 * A request the webhook refuses, answered with `status` and `{ error: { code, message } }`.
 *
 * @example throw new WebhookRequestError(415, 'unsupported_media_type', 'send application/x-ndjson or application/json');
 */
export class WebhookRequestError extends PipelineError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra fields of the JSON answer, e.g. the rejected records. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

// Errors of the traffic producer.
import { PipelineError } from '../errors.js';
import type { ProducerReport } from './producer-report.js';

/**
 * A producer run stopped because sending cannot succeed (missing stream, no access, an
 * unreachable endpoint, a record over the Kinesis limit). Carries what was sent until then.
 *
 * @example
 * try { await produceToKinesis(options); } catch (e) { if (e instanceof ProducerError) print(e.report); }
 */
export class ProducerError extends PipelineError {
  constructor(
    message: string,
    readonly report: ProducerReport | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

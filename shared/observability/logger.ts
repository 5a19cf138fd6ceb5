// The structured logger of every function (Powertools: JSON lines, Lambda context, sampling).
import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Creates the logger of a function; the service name comes from POWERTOOLS_SERVICE_NAME.
 *
 * @example export const logger = createLogger('ingest-kinesis');
 */
export function createLogger(functionName: string): Logger {
  return new Logger({ serviceName: 'event-lake', persistentKeys: { function: functionName } });
}

// The one error middleware of HTTP handlers: anything a handler did not turn into an answer
// becomes a generic JSON 500 naming the request id; the detail goes to the log only.
import type { Logger } from '@aws-lambda-powertools/logger';
import type middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { jsonResponse } from './http-api-event.js';

/**
 * @example middy(handler).use(jsonErrorHandler(logger))
 */
export function jsonErrorHandler(logger: Logger): middy.MiddlewareObj<unknown, APIGatewayProxyStructuredResultV2> {
  return {
    onError: (request) => {
      logger.error('request failed', { error: request.error });
      const requestId = request.context.awsRequestId;
      request.response = jsonResponse(500, { error: { code: 'internal_error', message: 'internal error; retry later', requestId } });
    },
  };
}

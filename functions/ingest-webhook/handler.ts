// Partner webhook (POST /v1/ingest/{source}, HTTP API) → ingest queue. Adapts the HTTP event
// to the webhook core and its answer to an HTTP response.
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { jsonErrorHandler } from '../../shared/http/json-error-handler.js';
import { jsonResponse, lowerCaseHeaders, rawBody } from '../../shared/http/http-api-event.js';
import { createLogger } from '../../shared/observability/logger.js';
import { acceptPartnerBatch } from '../../shared/webhook/accept-partner-batch.js';
import { loadWebhookConfig } from '../../shared/webhook/webhook-config.js';
import { webhookRuntime, webhookSettings } from '../../shared/webhook/webhook-runtime.js';

const logger = createLogger('ingest-webhook');
const config = loadWebhookConfig(process.env);
const settings = webhookSettings(config);
const dependencies = webhookRuntime(config, logger);

async function ingestWebhook(event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> {
  const source = event.pathParameters?.['source'] ?? '';
  const request = { source, headers: lowerCaseHeaders(event.headers), body: rawBody(event), requestId: context.awsRequestId };
  const reply = await acceptPartnerBatch(request, await dependencies(), settings);
  const outcome = { source, status: reply.status, accepted: reply.body['accepted'], rejected: reply.body['rejectedCount'] };
  if (reply.status >= 400) logger.warn('partner request refused', { ...outcome, error: reply.body['error'] });
  else logger.info('partner request answered', outcome);
  return jsonResponse(reply.status, reply.body, reply.headers);
}

export const handler = middy(ingestWebhook).use(injectLambdaContext(logger)).use(jsonErrorHandler(logger));

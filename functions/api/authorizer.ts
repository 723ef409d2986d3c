/**
 * The API's only authorizer: a bearer credential (operator or agent) in the
 * Authorization header. Unknown or missing credentials are 401; routes the
 * principal may not call are left out of its policy, so they answer 403.
 * The credential itself is never logged.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { resolveCredential } from '../repositories/credentials.js';
import { logger } from '../shared/powertools.js';
import { policyFor } from './route-policy.js';

export function bearerToken(
  headers: Record<string, string | undefined> | null | undefined,
): string | undefined {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'authorization' || !value) continue;
    const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
    return match?.[1];
  }
  return undefined;
}

export const handler = middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const token = bearerToken(event.headers);
    const principal = token ? await resolveCredential(token) : undefined;
    if (!principal) {
      logger.info('rejected a request without a valid credential', { methodArn: event.methodArn });
      // API Gateway answers 401 exactly when an authorizer fails with this message.
      throw new Error('Unauthorized');
    }
    return policyFor(principal, event.methodArn);
  });

/**
 * The wrapper every REST handler goes through: Powertools logging and
 * tracing, zod parsing of body, query and path parameters, the caller's
 * principal from the authorizer, and errors shaped as `{code, message, field?}`.
 * Handlers stay thin: parse, call a repository or core function, shape.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import { TidemarkError } from '../../core/error-catalogue.js';
import { Principal } from '../../core/principal.js';
import { HostScope } from './host-scope.js';
import { parseWith } from './parse.js';
import { logger, tracer } from './powertools.js';
import { ScopedCatalog } from './scoped-catalog.js';

interface RequestSpec<B extends z.ZodType, Q extends z.ZodType, P extends z.ZodType> {
  body?: B;
  query?: Q;
  params?: P;
}

export interface ParsedRequest<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  principal: Principal;
  /** The catalog limited to the principal's host scope: the way routes look up scenarios, hosts, jobs and sessions. */
  catalog: ScopedCatalog;
  event: APIGatewayProxyEvent;
}

export interface Reply {
  statusCode?: number;
  body: unknown;
}

export function httpHandler<
  B extends z.ZodType = z.ZodUndefined,
  Q extends z.ZodType = z.ZodUndefined,
  P extends z.ZodType = z.ZodUndefined,
>(
  spec: RequestSpec<B, Q, P>,
  handle: (request: ParsedRequest<z.output<B>, z.output<Q>, z.output<P>>) => Promise<Reply>,
) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer))
    .use({ onError: respondWithError })
    .handler(async (event) => {
      const principal = principalOf(event);
      const request = {
        body: spec.body ? parseWith(spec.body, jsonBody(event), 'body') : undefined,
        query: spec.query ? parseWith(spec.query, event.queryStringParameters ?? {}, 'query') : undefined,
        params: spec.params ? parseWith(spec.params, event.pathParameters ?? {}, 'path') : undefined,
        principal,
        catalog: new ScopedCatalog(HostScope.ofPrincipal(principal)),
        event,
      } as ParsedRequest<z.output<B>, z.output<Q>, z.output<P>>;
      const reply = await handle(request);
      return json(reply.statusCode ?? 200, reply.body);
    });
}

export function json(statusCode: number, body: unknown): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

function jsonBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === '') {
    throw new TidemarkError('BadRequest', 'request body is missing; send a JSON object', 400, 'body');
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text);
  } catch {
    throw new TidemarkError('BadRequest', 'request body is not valid JSON', 400, 'body');
  }
}

function principalOf(event: APIGatewayProxyEvent): Principal {
  const parsed = Principal.safeParse(event.requestContext.authorizer ?? {});
  // Every route sits behind the authorizer, so this only fails on a misconfigured API.
  if (!parsed.success)
    throw new TidemarkError('Unauthorized', 'no authenticated principal on the request', 401);
  return parsed.data;
}

async function respondWithError(request: middy.Request<APIGatewayProxyEvent, APIGatewayProxyResult>) {
  const error = request.error;
  if (error instanceof TidemarkError) {
    const body: Record<string, string> = { code: error.code, message: error.message };
    if (error.field !== undefined) body.field = error.field;
    request.response = json(error.status, body);
    return;
  }
  logger.error('unhandled error', { error });
  request.response = json(500, {
    code: 'InternalError',
    message: `internal error (request ${request.context.awsRequestId}); the details are in the function's log`,
  });
}

/**
 * The local stand-in for API Gateway: matches requests against the same
 * route table the CDK stack builds the REST API from, runs the same
 * authorizer function (401 without a valid credential, 403 when its policy
 * does not cover the route), and hands the same handlers an API Gateway
 * proxy event. Binds to loopback only.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AUTHORIZER_HANDLER, ROUTES, type Route } from '../../functions/api/routes.js';
import { consoleServer, isConsoleRequest } from '../../web/server/serve-console.js';
import { isAllowed } from './evaluate-policy.js';
import type { LocalLambdas } from './local-lambdas.js';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './provision.js';

const STAGE = 'local';
const API_ID = 'local';
/** API Gateway's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

interface Match {
  route: Route;
  pathParameters: Record<string, string>;
}

/** API Gateway's limit on a REST API request URL. */
const MAX_URL_BYTES = 10_240;

export async function startApiServer(
  lambdas: LocalLambdas,
  options: { port?: number } = {},
): Promise<RunningApi> {
  const serveConsole = consoleServer();
  // Node refuses headers past 16 KiB with a bare 431; API Gateway's own limit (10,240 bytes of URL) is
  // answered below in the API's error shape instead, as the stack's DEFAULT_4XX gateway response does.
  const server = createServer({ maxHeaderSize: 64 * 1024 }, (request, response) => {
    if (Buffer.byteLength(request.url ?? '') > MAX_URL_BYTES) {
      send(response, 414, {
        code: 'BadRequest',
        message: `the request URL is longer than ${MAX_URL_BYTES.toLocaleString('en')} bytes`,
      });
      return;
    }
    // The console's static files (no data in them) are the only thing served outside the route table.
    const handle = isConsoleRequest(request.url)
      ? serveConsole(request, response)
      : serve(lambdas, request, response);
    handle.catch((error: unknown) => {
      send(response, 500, {
        code: 'InternalError',
        message: `local API gateway error: ${(error as Error).message}`,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function serve(lambdas: LocalLambdas, request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const method = request.method ?? 'GET';
  const match = matchRoute(method, url.pathname);
  if (!match) {
    send(response, 404, { code: 'NotFound', message: `no route ${method} ${url.pathname}` });
    return;
  }
  const body = await readBody(request);
  if (body === undefined) {
    send(response, 413, { code: 'BadRequest', message: 'request body is larger than 10 MiB' });
    return;
  }
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name, [value].flat().join(',')]),
  );
  const query = Object.fromEntries(url.searchParams.entries());
  const methodArn = `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${API_ID}/${STAGE}/${method}${url.pathname}`;

  // Like a REQUEST authorizer whose identity source is the Authorization header.
  if (!headers.authorization) {
    send(response, 401, { code: 'Unauthorized', message: 'missing or invalid credential' });
    return;
  }
  let authorization: APIGatewayAuthorizerResult;
  try {
    authorization = (await lambdas.invoke(AUTHORIZER_HANDLER, {
      type: 'REQUEST',
      methodArn,
      resource: match.route.path,
      path: url.pathname,
      httpMethod: method,
      headers,
      queryStringParameters: query,
      pathParameters: match.pathParameters,
    })) as APIGatewayAuthorizerResult;
  } catch (error) {
    if ((error as Error).message === 'Unauthorized') {
      send(response, 401, { code: 'Unauthorized', message: 'missing or invalid credential' });
      return;
    }
    throw error;
  }
  if (!isAllowed(authorization.policyDocument, methodArn)) {
    send(response, 403, { code: 'Forbidden', message: 'this credential may not call this route' });
    return;
  }

  const event: APIGatewayProxyEvent = {
    resource: match.route.path,
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders: {},
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: null,
    pathParameters: Object.keys(match.pathParameters).length > 0 ? match.pathParameters : null,
    stageVariables: null,
    body: body.length > 0 ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: API_ID,
      stage: STAGE,
      requestId: randomUUID(),
      httpMethod: method,
      path: url.pathname,
      resourcePath: match.route.path,
      resourceId: match.route.path,
      protocol: 'HTTP/1.1',
      requestTimeEpoch: Date.now(),
      authorizer: { ...authorization.context, principalId: authorization.principalId },
      identity: {
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      } as APIGatewayProxyEvent['requestContext']['identity'],
    },
  };
  const result = (await lambdas.invoke(match.route.handler, event)) as APIGatewayProxyResult;
  const payload = result.isBase64Encoded
    ? Buffer.from(result.body, 'base64')
    : Buffer.from(result.body ?? '');
  response.writeHead(result.statusCode, { ...(result.headers as Record<string, string> | undefined) });
  response.end(result.statusCode === 204 ? undefined : payload);
}

function matchRoute(method: string, pathname: string): Match | undefined {
  const segments = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const template = route.path.split('/').filter(Boolean);
    if (template.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    const matches = template.every((part, index) => {
      const segment = segments[index] as string;
      const parameter = /^\{(\w+)\}$/.exec(part);
      if (parameter?.[1]) pathParameters[parameter[1]] = segment;
      return parameter !== null || part === segment;
    });
    if (matches) return { route, pathParameters };
  }
  return undefined;
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

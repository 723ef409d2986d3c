/**
 * The REST API, built from functions/api/routes.ts: one function per route,
 * and the bearer-token authorizer (functions/api/authorizer.ts) in front of
 * every method. The authorizer returns a policy covering all routes the
 * caller may use, so API Gateway caches it per credential for a minute.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { EnvName } from '../core/environment.js';
import { AUTHORIZER_HANDLER, ROUTES, type Route } from '../functions/api/routes.js';
import { createFunction, functionName, LOG_RETENTION } from './lambda-function.js';
import { TASK_TOKEN_ACTIONS } from './route-permissions.js';

export interface ApiProps {
  table: dynamodb.ITable;
  /** Environment of the authorizer: it only reads credentials. */
  authorizerEnvironment: Partial<Record<EnvName, string>>;
  /** Environment of every route function. */
  routeEnvironment: Partial<Record<EnvName, string>>;
}

export const STAGE_NAME = 'v1';
const DEFAULT_ROUTE_TIMEOUT_SECONDS = 10;

/**
 * Stage throttling, per account and region as API Gateway counts it: room for
 * a few hundred agents heartbeating and long-polling plus operators, while a
 * runaway client gets 429 instead of scaling Lambda and DynamoDB without end.
 * Routes that read whole name indexes get their own, tighter limit.
 */
export const STAGE_THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;

/** `METHOD /path`, the form used in metadata and descriptions. */
export const routeKey = (route: Pick<Route, 'method' | 'path'>) => `${route.method} ${route.path}`;

export class Api extends Construct {
  readonly restApi: apigateway.RestApi;
  readonly authorizerFunction: NodejsFunction;
  /** Route functions by `METHOD /path`. */
  readonly routeFunctions = new Map<string, NodejsFunction>();

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);

    this.authorizerFunction = createFunction(this, 'AuthorizerFunction', {
      entry: AUTHORIZER_HANDLER,
      description: 'API authorizer: bearer credential to route policy',
      environment: props.authorizerEnvironment,
    });
    props.table.grantReadData(this.authorizerFunction);

    const authorizer = new apigateway.RequestAuthorizer(this, 'Authorizer', {
      handler: this.authorizerFunction,
      identitySources: [apigateway.IdentitySource.header('Authorization')],
      resultsCacheTtl: Duration.seconds(60),
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: LOG_RETENTION });
    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      restApiName: `${Stack.of(this).stackName}-api`,
      description: 'Tidemark control plane: operators and agents',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // Execution logging (loggingLevel) needs the account-level CloudWatch role.
      cloudWatchRole: true,
      deployOptions: {
        stageName: STAGE_NAME,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        tracingEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.INFO,
        // Request and response bodies carry credentials at enrollment: never log them.
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: STAGE_THROTTLE.rateLimit,
        throttlingBurstLimit: STAGE_THROTTLE.burstLimit,
        methodOptions: Object.fromEntries(
          ROUTES.filter((route) => route.throttle).map((route) => [
            `${route.path}/${route.method}`,
            {
              throttlingRateLimit: route.throttle?.rateLimit,
              throttlingBurstLimit: route.throttle?.burstLimit,
            },
          ]),
        ),
      },
      // Every method, including any added later, sits behind the authorizer.
      defaultMethodOptions: { authorizer, authorizationType: apigateway.AuthorizationType.CUSTOM },
    });
    // The stack outputs the URL once, as ApiUrl; the RestApi's own Endpoint output would repeat it.
    this.restApi.node.tryRemoveChild('Endpoint');
    this.addErrorResponses();

    for (const route of ROUTES) this.addRoute(route, props);
    for (const handler of Object.keys(TASK_TOKEN_ACTIONS)) {
      if (!ROUTES.some((route) => route.handler === handler)) {
        throw new Error(`infra/route-permissions.ts names ${handler}, which no route in ROUTES serves`);
      }
    }
  }

  private addRoute(route: Route, props: ApiProps) {
    const key = routeKey(route);
    const id = `${functionName(route.handler)}Function`;
    if (this.node.tryFindChild(id)) throw new Error(`two routes use the handler ${route.handler}`);
    const fn = createFunction(this, id, {
      entry: route.handler,
      description: `API ${key}`,
      environment: props.routeEnvironment,
      timeout: Duration.seconds(route.timeoutSeconds ?? DEFAULT_ROUTE_TIMEOUT_SECONDS),
      route: key,
    });
    props.table.grantReadWriteData(fn);
    const taskTokenActions = TASK_TOKEN_ACTIONS[route.handler];
    if (taskTokenActions) {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...taskTokenActions], resources: ['*'] }));
    }

    this.restApi.root
      .resourceForPath(route.path)
      .addMethod(route.method, new apigateway.LambdaIntegration(fn, { allowTestInvoke: false }));
    this.routeFunctions.set(key, fn);
  }

  /**
   * The authorizer's 401 and 403, throttling's 429, and every other refusal of the gateway itself (a URL
   * or body over its limits, a malformed request) in the same `{code, message}` shape the handlers answer with.
   */
  private addErrorResponses() {
    const json = (code: string) => ({
      'application/json': `{"code":"${code}","message":$context.error.messageString}`,
    });
    this.restApi.addGatewayResponse('Unauthorized', {
      type: apigateway.ResponseType.UNAUTHORIZED,
      statusCode: '401',
      templates: json('Unauthorized'),
    });
    this.restApi.addGatewayResponse('AccessDenied', {
      type: apigateway.ResponseType.ACCESS_DENIED,
      statusCode: '403',
      templates: json('Forbidden'),
    });
    this.restApi.addGatewayResponse('Throttled', {
      type: apigateway.ResponseType.THROTTLED,
      statusCode: '429',
      templates: json('TooManyRequests'),
    });
    this.restApi.addGatewayResponse('Other4xx', {
      type: apigateway.ResponseType.DEFAULT_4XX,
      templates: json('BadRequest'),
    });
  }
}

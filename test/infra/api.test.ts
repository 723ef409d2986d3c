import { describe, expect, it } from 'vitest';
import { AUTHORIZER_HANDLER, ROUTES } from '../../functions/api/routes.js';
import { onlyResource, resourcesOf, synth } from './synth.js';

const { json } = synth();
const [apiId] = onlyResource(json, 'AWS::ApiGateway::RestApi');
const [authorizerId, authorizer] = onlyResource(json, 'AWS::ApiGateway::Authorizer');
const methods = resourcesOf(json, 'AWS::ApiGateway::Method');
const functions = resourcesOf(json, 'AWS::Lambda::Function');

describe('REST API', () => {
  it('has one method per route, and no other', () => {
    expect(methods.map(([, m]) => m.Properties?.HttpMethod).sort()).toEqual(
      ROUTES.map((route) => route.method).sort(),
    );
    expect(methods).toHaveLength(ROUTES.length);
  });

  it('puts the custom authorizer on every method', () => {
    for (const [id, method] of methods) {
      expect({ id, type: method.Properties?.AuthorizationType }).toEqual({ id, type: 'CUSTOM' });
      expect({ id, authorizer: method.Properties?.AuthorizerId }).toEqual({
        id,
        authorizer: { Ref: authorizerId },
      });
    }
  });

  it('authorizes with a REQUEST authorizer on the Authorization header, cached for 60 s', () => {
    expect(authorizer.Properties).toMatchObject({
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 60,
      RestApiId: { Ref: apiId },
    });
    const uri = JSON.stringify(authorizer.Properties?.AuthorizerUri);
    const [authorizerFunctionId] =
      functions.find(([, fn]) => fn.Metadata?.['tidemark:entry'] === AUTHORIZER_HANDLER) ?? [];
    expect(authorizerFunctionId).toBeDefined();
    expect(uri).toContain(`"${authorizerFunctionId}","Arn"`);
  });

  it('sends each route to the function that runs its handler', () => {
    for (const route of ROUTES) {
      const key = `${route.method} ${route.path}`;
      const matches = functions.filter(([, fn]) => fn.Metadata?.['tidemark:route'] === key);
      expect({ key, count: matches.length }).toEqual({ key, count: 1 });
      const [fnId, fn] = matches[0] ?? [];
      expect(fn?.Metadata?.['tidemark:entry']).toBe(route.handler);
      expect(fn?.Properties?.Timeout).toBe(route.timeoutSeconds ?? 10);

      const integrated = methods.filter(
        ([, method]) =>
          method.Properties?.HttpMethod === route.method &&
          JSON.stringify(method.Properties?.Integration).includes(`"${fnId}","Arn"`),
      );
      expect({ key, count: integrated.length }).toEqual({ key, count: 1 });
    }
  });

  it('answers 401 and 403 from the authorizer, 429 from throttling and other gateway 4xx as {code, message} JSON', () => {
    const responses = Object.fromEntries(
      resourcesOf(json, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => [
        r.Properties?.ResponseType,
        r.Properties,
      ]),
    );
    expect(responses.UNAUTHORIZED).toMatchObject({
      StatusCode: '401',
      ResponseTemplates: {
        'application/json': '{"code":"Unauthorized","message":$context.error.messageString}',
      },
    });
    expect(responses.THROTTLED).toMatchObject({
      StatusCode: '429',
      ResponseTemplates: {
        'application/json': '{"code":"TooManyRequests","message":$context.error.messageString}',
      },
    });
    expect(responses.ACCESS_DENIED).toMatchObject({
      StatusCode: '403',
      ResponseTemplates: {
        'application/json': '{"code":"Forbidden","message":$context.error.messageString}',
      },
    });
    // Any other refusal of the gateway itself (a URL over 10,240 bytes, a body too large) keeps its status.
    expect(responses.DEFAULT_4XX).toMatchObject({
      ResponseTemplates: {
        'application/json': '{"code":"BadRequest","message":$context.error.messageString}',
      },
    });
    expect(responses.DEFAULT_4XX.StatusCode).toBeUndefined();
  });

  it('logs access, traces and records metrics at INFO, without request data, and throttles the stage and the index readers', () => {
    const [, stage] = onlyResource(json, 'AWS::ApiGateway::Stage');
    expect(stage.Properties).toMatchObject({
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: { 'Fn::GetAtt': [expect.stringMatching(/^ApiAccessLogs/), 'Arn'] },
      },
      MethodSettings: [
        {
          DataTraceEnabled: false,
          HttpMethod: '*',
          LoggingLevel: 'INFO',
          MetricsEnabled: true,
          ResourcePath: '/*',
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
        },
        ...['tree', 'query'].map((view) => ({
          DataTraceEnabled: false,
          HttpMethod: 'GET',
          ResourcePath: `/~1restore~1${view}`,
          ThrottlingRateLimit: 5,
          ThrottlingBurstLimit: 10,
        })),
      ],
    });
  });

  it('outputs the API URL, table, bucket and state machines, and nothing else', () => {
    expect(Object.keys(json.Outputs ?? {}).sort()).toEqual(
      ['ApiUrl', 'BackupStateMachineArn', 'MediaBucket', 'RestoreStateMachineArn', 'TableName'].sort(),
    );
  });
});

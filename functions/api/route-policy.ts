/**
 * Turns a principal into the IAM policy an API Gateway authorizer returns:
 * one Allow per route its access level reaches. API Gateway caches the
 * policy per credential and checks every later request against it, and the
 * local API server evaluates the same document, so route access is enforced
 * in one place.
 */
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { canAccess, type Principal } from '../../core/principal.js';
import { ROUTES } from './routes.js';

/** `arn:aws:execute-api:region:account:api/stage/METHOD/path` → `arn:…:api/stage`. */
export function apiArnPrefix(methodArn: string): string {
  const [api, stage] = methodArn.split('/');
  if (!api || !stage) throw new Error(`not an execute-api method ARN: ${methodArn}`);
  return `${api}/${stage}`;
}

/** The execute-api resource of a route: path parameters become wildcards. */
export function routeResource(prefix: string, method: string, path: string): string {
  return `${prefix}/${method}${path.replace(/\{[^}]+\}/g, '*')}`;
}

export function policyFor(principal: Principal, methodArn: string): APIGatewayAuthorizerResult {
  const prefix = apiArnPrefix(methodArn);
  const allowed = ROUTES.filter((route) => canAccess(principal, route.access)).map((route) =>
    routeResource(prefix, route.method, route.path),
  );
  const context: Record<string, string> = { ...principal };
  return {
    principalId: principal.principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement:
        allowed.length > 0
          ? [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: allowed }]
          : [{ Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${prefix}/*` }],
    },
    context,
  };
}

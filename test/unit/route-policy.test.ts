import type { PolicyDocument } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { policyFor } from '../../functions/api/route-policy.js';
import { ROUTES } from '../../functions/api/routes.js';
import { isAllowed } from '../../infra/local/evaluate-policy.js';

const arn = (method: string, path: string) => `arn:aws:execute-api:us-east-1:123:api1/prod/${method}${path}`;
const viewer = { principalType: 'operator', principalId: 'operator:v', role: 'viewer' } as const;
const admin = { principalType: 'operator', principalId: 'operator:a', role: 'admin' } as const;
const agent = { principalType: 'agent', principalId: 'agent:h-1', hostId: 'h-1' } as const;

describe('route policy', () => {
  it('lets a viewer read hosts but not enroll one', () => {
    const policy = policyFor(viewer, arn('GET', '/hosts')).policyDocument;
    expect(isAllowed(policy, arn('GET', '/hosts'))).toBe(true);
    expect(isAllowed(policy, arn('GET', '/hosts/h-9'))).toBe(true);
    expect(isAllowed(policy, arn('POST', '/hosts'))).toBe(false);
    expect(isAllowed(policy, arn('GET', '/agent/commands'))).toBe(false);
  });

  it('gives an admin every operator route and no agent route', () => {
    const policy = policyFor(admin, arn('GET', '/hosts')).policyDocument;
    for (const route of ROUTES) {
      const path = route.path.replace(/\{[^}]+\}/g, 'x-1');
      expect(isAllowed(policy, arn(route.method, path))).toBe(route.access !== 'agent');
    }
  });

  it('gives an agent only the agent routes, and carries its host in the context', () => {
    const result = policyFor(agent, arn('GET', '/agent/commands'));
    expect(result.context).toMatchObject({ principalType: 'agent', hostId: 'h-1' });
    expect(isAllowed(result.policyDocument, arn('POST', '/agent/commands/c-1/result'))).toBe(true);
    expect(isAllowed(result.policyDocument, arn('GET', '/hosts'))).toBe(false);
  });

  it('scopes the policy to the calling API and stage', () => {
    const policy = policyFor(admin, arn('GET', '/hosts')).policyDocument;
    expect(isAllowed(policy, 'arn:aws:execute-api:us-east-1:123:other/prod/GET/hosts')).toBe(false);
  });

  it('lets an explicit Deny win', () => {
    const policy: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:*' },
        { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: arn('GET', '/hosts') },
      ],
    };
    expect(isAllowed(policy, arn('GET', '/hosts'))).toBe(false);
    expect(isAllowed(policy, arn('GET', '/hosts/1'))).toBe(true);
  });
});

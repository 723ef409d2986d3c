/**
 * The role behind every agent's media credentials: only the
 * POST /agent/credentials function may assume it (not the account, not a
 * host), it can never delete media or start Glacier retrievals, and it may
 * use the media key only, never the catalog key that protects the table.
 */
import { describe, expect, it } from 'vitest';
import { type CfnResource, onlyResource, propertyOf, resourcesOf, synth } from './synth.js';

const { json } = synth();
const [roleId, role] = onlyResource(json, 'AWS::IAM::Role', 'AgentDataRole');
const [catalogKeyId] = onlyResource(json, 'AWS::KMS::Key', 'StorageKey');
const [mediaKeyId] = onlyResource(json, 'AWS::KMS::Key', 'StorageMediaKey');

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Principal?: unknown };
const roleOf = (fn: CfnResource) =>
  propertyOf<{ 'Fn::GetAtt': [string, string] }>(fn, 'Role')['Fn::GetAtt'][0];

describe('agent data role', () => {
  it('trusts only the role of the POST /agent/credentials function', () => {
    const [, credentialsFn] = resourcesOf(json, 'AWS::Lambda::Function').find(
      ([, fn]) => fn.Metadata?.['tidemark:entry'] === 'functions/api/agent/credentials.ts',
    ) ?? [undefined, undefined];
    if (!credentialsFn) throw new Error('no function serves POST /agent/credentials');
    const trust = propertyOf<{ Statement: Statement[] }>(role, 'AssumeRolePolicyDocument').Statement;
    expect(trust).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::GetAtt': [roleOf(credentialsFn), 'Arn'] } },
      },
    ]);
  });

  const statements = resourcesOf(json, 'AWS::IAM::Policy')
    .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap(([, policy]) => propertyOf<{ Statement: Statement[] }>(policy, 'PolicyDocument').Statement);
  const actions = statements.flatMap((statement) => [statement.Action].flat());

  it('may put and read repository objects but never delete them or request retrievals', () => {
    expect(actions).toEqual(expect.arrayContaining(['s3:GetObject', 's3:PutObject', 's3:ListBucket']));
    expect(
      actions.filter((action) => /^s3:(Delete|Restore|PutBucket|PutLifecycle)|^s3:\*$/.test(action)),
    ).toEqual([]);
  });

  it('uses the media key only, and not to encrypt arbitrary data', () => {
    const kms = statements.filter((statement) => [statement.Action].flat().some((a) => a.startsWith('kms:')));
    expect(kms.length).toBeGreaterThan(0);
    for (const statement of kms) expect(statement.Resource).toEqual({ 'Fn::GetAtt': [mediaKeyId, 'Arn'] });
    expect(JSON.stringify(statements)).not.toContain(catalogKeyId);
    expect(actions).not.toContain('kms:Encrypt');
  });
});

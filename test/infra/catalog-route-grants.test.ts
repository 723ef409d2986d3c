/**
 * The catalog routes that read file-name indexes: read-only access to the
 * index objects of the media bucket and decrypt with the media key through
 * S3, their memory size; every other route function gets neither.
 */
import { describe, expect, it } from 'vitest';
import { NAME_INDEX_MEMORY_MB } from '../../infra/catalog-route-grants.js';
import { type CfnResource, type CfnTemplate, onlyResource, propertyOf, resourcesOf, synth } from './synth.js';

const READERS = ['functions/api/restore-views/by-tree.ts', 'functions/api/restore-views/by-query.ts'];

const entryOf = (fn: CfnResource) => fn.Metadata?.['tidemark:entry'];

function statementsOfFunction(json: CfnTemplate, fn: CfnResource): Record<string, unknown>[] {
  const roleId = propertyOf<{ 'Fn::GetAtt': [string, string] }>(fn, 'Role')['Fn::GetAtt'][0];
  return resourcesOf(json, 'AWS::IAM::Policy')
    .filter(([, policy]) => JSON.stringify(policy.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap(
      ([, policy]) =>
        propertyOf<{ Statement: Record<string, unknown>[] }>(policy, 'PolicyDocument').Statement,
    );
}

describe('name-index readers', () => {
  const { json } = synth();
  const [bucketId] = onlyResource(json, 'AWS::S3::Bucket', 'StorageMediaBucket');
  const [keyId] = onlyResource(json, 'AWS::KMS::Key', 'StorageMediaKey');
  const functions = resourcesOf(json, 'AWS::Lambda::Function');

  it.each(READERS)(
    '%s may read index objects, decrypt them through S3 and unwrap index keys only, with more memory',
    (entry) => {
      const found = functions.find(([, fn]) => entryOf(fn) === entry);
      if (!found) throw new Error(`no function runs ${entry}`);
      const statements = statementsOfFunction(json, found[1]);
      const s3 = statements.filter((statement) => String(statement.Action).startsWith('s3:'));
      expect(s3).toEqual([
        {
          Action: 's3:GetObject',
          Effect: 'Allow',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*/sessions/*/names']] },
        },
      ]);
      expect(statements).toContainEqual({
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
        Condition: {
          StringEquals: {
            'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
          },
        },
      });
      // The index envelopes' data keys, and no other key made under the media key (repository keys lack this context).
      expect(statements).toContainEqual({
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
        Condition: { StringEquals: { 'kms:EncryptionContext:tidemark:content': 'name-index' } },
      });
      const onMediaKey = statements.filter((statement) => JSON.stringify(statement.Resource).includes(keyId));
      expect(onMediaKey).toHaveLength(2);
      expect(onMediaKey.every((statement) => statement.Condition !== undefined)).toBe(true);
      expect(found[1].Properties?.MemorySize).toBe(NAME_INDEX_MEMORY_MB);
    },
  );

  it('grants no other route function anything on the media bucket', () => {
    const others = functions.filter(([, fn]) => {
      const entry = entryOf(fn);
      return typeof entry === 'string' && entry.startsWith('functions/api/') && !READERS.includes(entry);
    });
    expect(others.length).toBeGreaterThan(10);
    for (const [id, fn] of others) {
      const onBucket = statementsOfFunction(json, fn).filter((statement) =>
        JSON.stringify(statement.Resource ?? '').includes(bucketId),
      );
      expect({ id, onBucket }).toEqual({ id, onBucket: [] });
    }
  });
});

/**
 * The media credentials' session policy, attacked per purpose: what a
 * backup replica and a restore destination may and may not do with the
 * scenario's repository, another scenario's, and the media key. moto does
 * not enforce session policies, so each request is evaluated against the
 * issued document (test/support/iam-evaluate.ts); the KMS context binding
 * itself is proved against moto in test/agent/daemon/media-repository.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { mediaSessionPolicy, SCENARIO_CONTEXT_KEY } from '../../core/media-session-policy.js';
import { iamAllows } from '../support/iam-evaluate.js';

const KEY = 'arn:aws:kms:us-east-1:111111111111:key/media';
const policyFor = (purpose: 'backup' | 'restore') =>
  mediaSessionPolicy({ purpose, bucket: 'media', scenarioId: 'sc-a', keyArn: KEY, region: 'us-east-1' });
const object = (scenario: string, key: string) => `arn:aws:s3:::media/repos/${scenario}/${key}`;
const scenarioContext = (scenarioId: string) => ({
  [`kms:EncryptionContext:${SCENARIO_CONTEXT_KEY}`]: scenarioId,
});
const viaS3 = { 'kms:ViaService': 's3.us-east-1.amazonaws.com' };

describe('backup credentials (a replica of the scenario)', () => {
  const policy = policyFor('backup');
  const may = (action: string, resource: string, context?: Record<string, string>) =>
    iamAllows(policy, { action, resource, context });

  it('read and add objects in its own repository', () => {
    expect(may('s3:GetObject', object('sc-a', 'config'))).toBe(true);
    expect(may('s3:PutObject', object('sc-a', 'packs/p1'))).toBe(true);
    expect(may('s3:PutObjectTagging', object('sc-a', 'packs/p1'))).toBe(true);
    expect(may('s3:ListBucket', 'arn:aws:s3:::media', { 's3:prefix': 'repos/sc-a/packs/' })).toBe(true);
  });

  it('may not delete anything, not even its own packs or versions', () => {
    for (const action of ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutBucketVersioning'])
      expect(may(action, object('sc-a', 'packs/p1'))).toBe(false);
    expect(may('s3:PutLifecycleConfiguration', 'arn:aws:s3:::media')).toBe(false);
  });

  it('may not read, write or list another scenario', () => {
    expect(may('s3:GetObject', object('sc-b', 'config'))).toBe(false);
    expect(may('s3:PutObject', object('sc-b', 'config'))).toBe(false);
    expect(may('s3:GetObject', 'arn:aws:s3:::media/repos/sc-a-other/config')).toBe(false);
    expect(may('s3:ListBucket', 'arn:aws:s3:::media', { 's3:prefix': 'repos/sc-b/' })).toBe(false);
    expect(may('s3:ListBucket', 'arn:aws:s3:::media', { 's3:prefix': 'repos/' })).toBe(false);
    expect(may('s3:ListBucket', 'arn:aws:s3:::media')).toBe(false);
  });

  it('uses the media key only for its own scenario context or through S3', () => {
    expect(may('kms:GenerateDataKey', KEY, scenarioContext('sc-a'))).toBe(true);
    expect(may('kms:Decrypt', KEY, scenarioContext('sc-a'))).toBe(true);
    expect(may('kms:Decrypt', KEY, viaS3)).toBe(true);
    expect(may('kms:Decrypt', KEY, scenarioContext('sc-b'))).toBe(false);
    expect(may('kms:Decrypt', KEY)).toBe(false);
    expect(may('kms:Decrypt', KEY, { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com' })).toBe(false);
    expect(may('kms:Encrypt', KEY, scenarioContext('sc-a'))).toBe(false);
    expect(
      may('kms:Decrypt', 'arn:aws:kms:us-east-1:111111111111:key/catalog', scenarioContext('sc-a')),
    ).toBe(false);
  });
});

describe('restore credentials (the destination of a restore job)', () => {
  const policy = policyFor('restore');
  const may = (action: string, resource: string, context?: Record<string, string>) =>
    iamAllows(policy, { action, resource, context });

  it('read the repository and unwrap its key', () => {
    expect(may('s3:GetObject', object('sc-a', 'sessions/7/manifest'))).toBe(true);
    expect(may('s3:ListBucket', 'arn:aws:s3:::media', { 's3:prefix': 'repos/sc-a/index/' })).toBe(true);
    expect(may('kms:Decrypt', KEY, scenarioContext('sc-a'))).toBe(true);
  });

  it('may not write, tag, delete or make keys', () => {
    for (const action of [
      's3:PutObject',
      's3:PutObjectTagging',
      's3:DeleteObject',
      's3:AbortMultipartUpload',
    ])
      expect(may(action, object('sc-a', 'config'))).toBe(false);
    expect(may('kms:GenerateDataKey', KEY, scenarioContext('sc-a'))).toBe(false);
    expect(may('kms:GenerateDataKey', KEY, viaS3)).toBe(false);
  });
});

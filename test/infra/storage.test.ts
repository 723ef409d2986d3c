import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DATA_PACK_TAG } from '../../core/media-tiers.js';
import { TABLE_INDEXES, TABLE_KEYS, TABLE_TTL_ATTRIBUTE } from '../../core/table.js';
import { buildApp } from '../../infra/build-stack.js';
import { onlyResource, propertyOf, resourcesOf, synth } from './synth.js';

const { template, json } = synth();
const [catalogKeyId] = onlyResource(json, 'AWS::KMS::Key', 'StorageKey');
const [mediaKeyId] = onlyResource(json, 'AWS::KMS::Key', 'StorageMediaKey');
const catalogKeyArn = { 'Fn::GetAtt': [catalogKeyId, 'Arn'] };
const mediaKeyArn = { 'Fn::GetAtt': [mediaKeyId, 'Arn'] };
const [mediaBucketId, mediaBucket] = onlyResource(json, 'AWS::S3::Bucket', 'StorageMediaBucket');
const [accessLogBucketId] = onlyResource(json, 'AWS::S3::Bucket', 'StorageAccessLogBucket');

describe('KMS keys', () => {
  it('are two, the catalog key and the media key, both rotating and kept when the stack goes', () => {
    expect(
      resourcesOf(json, 'AWS::KMS::Key')
        .map(([id]) => id)
        .sort(),
    ).toEqual([catalogKeyId, mediaKeyId].sort());
    for (const id of [catalogKeyId, mediaKeyId])
      expect(json.Resources[id]).toMatchObject({
        Properties: { EnableKeyRotation: true },
        DeletionPolicy: 'Retain',
      });
  });
});

describe('table', () => {
  const [, table] = onlyResource(json, 'AWS::DynamoDB::Table');
  const props = table.Properties ?? {};

  it('has the key schema of core/table.ts', () => {
    expect(props.KeySchema).toEqual([
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ]);
  });

  it('has exactly the GSIs of core/table.ts, string keys, all attributes projected', () => {
    const indexes = (props.GlobalSecondaryIndexes as Record<string, unknown>[]).map((index) => ({
      name: index.IndexName,
      keys: index.KeySchema,
      projection: index.Projection,
    }));
    expect(indexes).toEqual(
      TABLE_INDEXES.map((index) => ({
        name: index.indexName,
        keys: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        projection: { ProjectionType: 'ALL' },
      })),
    );
    const expectedAttributes = [
      TABLE_KEYS.partitionKey,
      TABLE_KEYS.sortKey,
      ...TABLE_INDEXES.flatMap((index) => [index.partitionKey, index.sortKey]),
    ];
    const attributes = props.AttributeDefinitions as { AttributeName: string; AttributeType: string }[];
    expect(attributes.map((a) => a.AttributeName).sort()).toEqual([...expectedAttributes].sort());
    expect(new Set(attributes.map((a) => a.AttributeType))).toEqual(new Set(['S']));
  });

  it('is on demand, with point-in-time recovery, TTL and the customer key; never deleted', () => {
    expect(props.BillingMode).toBe('PAY_PER_REQUEST');
    expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(props.TimeToLiveSpecification).toEqual({ AttributeName: TABLE_TTL_ATTRIBUTE, Enabled: true });
    expect(props.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: catalogKeyArn,
    });
    expect(table.DeletionPolicy).toBe('Retain');
  });
});

describe('media bucket', () => {
  const props = mediaBucket.Properties ?? {};

  it('is versioned, SSE-KMS with the customer key and a bucket key, and blocks all public access', () => {
    expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(props.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: mediaKeyArn },
        },
      ],
    });
    expect(props.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(mediaBucket.DeletionPolicy).toBe('Retain');
    expect(props.ObjectLockEnabled).toBeUndefined();
  });

  it('moves current and noncurrent versions to GLACIER after 30 days and DEEP_ARCHIVE after 180 by default', () => {
    expect(lifecycleOf(props)).toEqual({
      transitions: [
        { StorageClass: 'GLACIER', TransitionInDays: 30 },
        { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 180 },
      ],
      noncurrent: [
        { StorageClass: 'GLACIER', TransitionInDays: 30 },
        { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 180 },
      ],
      abortMultipartDays: 7,
    });
  });

  it('writes server access logs to the separate access-log bucket', () => {
    expect(props.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: accessLogBucketId },
      LogFilePrefix: 'media/',
    });
  });

  it('denies every request without TLS, on the bucket and its objects', () => {
    expectTlsOnly(mediaBucketId);
  });

  it('takes the tier days and Object Lock from context', () => {
    const custom = synth({
      'tidemark:glacierAfterDays': 45,
      // As `-c key=value` delivers them: strings.
      'tidemark:deepArchiveAfterDays': '200',
      'tidemark:objectLock': 'true',
    });
    const [, bucket] = onlyResource(custom.json, 'AWS::S3::Bucket', 'StorageMediaBucket');
    const expected = [
      { StorageClass: 'GLACIER', TransitionInDays: 45 },
      { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 200 },
    ];
    expect(lifecycleOf(bucket.Properties ?? {})).toEqual({
      transitions: expected,
      noncurrent: expected,
      abortMultipartDays: 7,
    });
    expect(bucket.Properties?.ObjectLockEnabled).toBe(true);
  });

  it('refuses tier days S3 would reject, naming the setting', () => {
    const tooSoon = { 'tidemark:glacierAfterDays': 30, 'tidemark:deepArchiveAfterDays': 100 };
    expect(() => buildApp({ bundling: false, nag: false, context: tooSoon })).toThrow(
      /tidemark:deepArchiveAfterDays \(100\) must be at least 90 days after/,
    );
    expect(() =>
      buildApp({ bundling: false, nag: false, context: { 'tidemark:glacierAfterDays': 'soon' } }),
    ).toThrow(/tidemark:glacierAfterDays must be a whole number/);
  });
});

describe('access-log bucket', () => {
  it('is encrypted, blocks public access and only takes TLS requests', () => {
    const [, bucket] = onlyResource(json, 'AWS::S3::Bucket', 'StorageAccessLogBucket');
    expect(bucket.Properties?.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket.Properties?.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expectTlsOnly(accessLogBucketId);
  });
});

describe('alert topic', () => {
  it('is encrypted with the customer key and only takes TLS publishes', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: catalogKeyArn });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

/** The tier transitions (which must apply to data packs only) and the multipart clean-up, from their two rules. */
function lifecycleOf(props: Record<string, unknown>) {
  const rules = (props.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
  expect(rules).toHaveLength(2);
  for (const rule of rules) expect(rule.Status).toBe('Enabled');
  const tiers = rules.find((rule) => rule.Transitions) ?? {};
  // Index files, manifests and manifest pages stay out of Glacier.
  expect(tiers.TagFilters).toEqual([{ Key: DATA_PACK_TAG.key, Value: DATA_PACK_TAG.value }]);
  const abort = rules.find((rule) => rule.AbortIncompleteMultipartUpload) ?? {};
  expect(abort.TagFilters).toBeUndefined();
  return {
    transitions: tiers.Transitions,
    noncurrent: tiers.NoncurrentVersionTransitions,
    abortMultipartDays: (abort.AbortIncompleteMultipartUpload as { DaysAfterInitiation: number })
      .DaysAfterInitiation,
  };
}

function expectTlsOnly(bucketId: string) {
  const policies = resourcesOf(json, 'AWS::S3::BucketPolicy').filter(
    ([, policy]) => JSON.stringify(policy.Properties?.Bucket) === JSON.stringify({ Ref: bucketId }),
  );
  expect(policies).toHaveLength(1);
  const [, policy] = policies[0] ?? [];
  if (!policy) throw new Error(`no bucket policy for ${bucketId}`);
  const statements = propertyOf<{ Statement: Record<string, unknown>[] }>(policy, 'PolicyDocument').Statement;
  expect(statements).toContainEqual({
    Action: 's3:*',
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Resource: [
      { 'Fn::GetAtt': [bucketId, 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
    ],
  });
}

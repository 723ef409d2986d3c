/**
 * Where Tidemark keeps its state: the one DynamoDB table (keys and indexes
 * from core/table.ts, so the stack and the repositories cannot disagree),
 * the media bucket for backup sessions, and two customer KMS keys: the
 * catalog key (table, alert topic), which no agent may use, and the media
 * key (media bucket, repository data keys), which agents use through their
 * per-scenario media credentials.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DATA_PACK_TAG } from '../core/media-tiers.js';
import { TABLE_INDEXES, TABLE_KEYS, TABLE_TTL_ATTRIBUTE } from '../core/table.js';
import type { TidemarkSettings } from './settings.js';

export interface StorageProps {
  settings: TidemarkSettings;
}

/** How long S3 server access logs are kept; they are for audits and incident review. */
const ACCESS_LOG_RETENTION = Duration.days(365);

export class Storage extends Construct {
  readonly catalogKey: kms.Key;
  readonly mediaKey: kms.Key;
  readonly table: dynamodb.Table;
  readonly mediaBucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const { settings } = props;

    this.catalogKey = new kms.Key(this, 'Key', {
      description: 'Tidemark catalog: encrypts the table and the alert topic (never granted to agents)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Backups stay readable only while this key lives: kept with the bucket, never with the stack.
    this.mediaKey = new kms.Key(this, 'MediaKey', {
      description: 'Tidemark media: encrypts the media bucket and wraps the repository data keys',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const stringKey = (name: string) => ({ name, type: dynamodb.AttributeType.STRING });
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: stringKey(TABLE_KEYS.partitionKey),
      sortKey: stringKey(TABLE_KEYS.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.catalogKey,
      timeToLiveAttribute: TABLE_TTL_ATTRIBUTE,
      // The table is the catalog of every backup: never dropped with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of TABLE_INDEXES) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: stringKey(index.partitionKey),
        sortKey: stringKey(index.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    // S3 cannot deliver server access logs to a bucket encrypted with SSE-KMS, so this one uses SSE-S3.
    this.accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: ACCESS_LOG_RETENTION }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const tiers = [
      { storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(settings.glacierAfterDays) },
      {
        storageClass: s3.StorageClass.DEEP_ARCHIVE,
        transitionAfter: Duration.days(settings.deepArchiveAfterDays),
      },
    ];
    this.mediaBucket = new s3.Bucket(this, 'MediaBucket', {
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.mediaKey,
      // One data key per bucket instead of per object: far fewer KMS calls for many small packs.
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      objectLockEnabled: settings.objectLock || undefined,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'media/',
      lifecycleRules: [
        {
          // Only data packs age (core/media-tiers.ts): index files, manifests and manifest pages stay
          // readable, so a session can be browsed and its restore planned without a retrieval.
          id: 'ColderTiersByAge',
          tagFilters: { [DATA_PACK_TAG.key]: DATA_PACK_TAG.value },
          transitions: tiers,
          noncurrentVersionTransitions: tiers.map(({ storageClass, transitionAfter }) => ({
            storageClass,
            transitionAfter,
          })),
        },
        // Its own rule: S3 refuses AbortIncompleteMultipartUpload in a rule filtered by tags.
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}

/**
 * Every AWS SDK v3 client Tidemark uses is made here. Endpoints come from
 * `AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL`, so the same code runs
 * against moto, LocalStack and AWS; S3 switches to path-style addressing
 * whenever an endpoint is set, since emulators do not serve bucket subdomains.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The service ids used in `AWS_ENDPOINT_URL_<ID>`, as the AWS SDKs define them. */
type ServiceId = 'DYNAMODB' | 'S3' | 'SFN' | 'KMS' | 'SCHEDULER' | 'SNS' | 'STS' | 'EC2';

export function endpointFor(service: ServiceId): string | undefined {
  return process.env[`AWS_ENDPOINT_URL_${service}`] || process.env.AWS_ENDPOINT_URL || undefined;
}

function baseConfig(service: ServiceId) {
  const endpoint = endpointFor(service);
  return {
    ...(endpoint ? { endpoint } : {}),
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    maxAttempts: 4,
  };
}

// Clients are cached per endpoint: Lambda reuses them across invocations, and
// tests that point the environment at a new local cloud get fresh ones.
const cache = new Map<string, unknown>();
function cached<T>(service: ServiceId, make: () => T): T {
  const key = `${service}|${endpointFor(service) ?? ''}`;
  let client = cache.get(key) as T | undefined;
  if (!client) {
    client = make();
    cache.set(key, client);
  }
  return client;
}

export const clients = {
  dynamo: () =>
    cached('DYNAMODB', () =>
      DynamoDBDocumentClient.from(new DynamoDBClient(baseConfig('DYNAMODB')), {
        marshallOptions: { removeUndefinedValues: true },
      }),
    ),
  s3: () =>
    cached(
      'S3',
      () => new S3Client({ ...baseConfig('S3'), forcePathStyle: endpointFor('S3') !== undefined }),
    ),
  sfn: () => cached('SFN', () => new SFNClient(baseConfig('SFN'))),
  kms: () => cached('KMS', () => new KMSClient(baseConfig('KMS'))),
  scheduler: () => cached('SCHEDULER', () => new SchedulerClient(baseConfig('SCHEDULER'))),
  sns: () => cached('SNS', () => new SNSClient(baseConfig('SNS'))),
  sts: () => cached('STS', () => new STSClient(baseConfig('STS'))),
  ec2: () => cached('EC2', () => new EC2Client(baseConfig('EC2'))),
};

/** Short-lived credentials for one scope (an agent's media access); never cached here, their holder renews them. */
export interface ScopedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/**
 * S3 and KMS clients at the same endpoints as `clients`, signing with what `credentials` returns. The
 * SDK calls it again once the last credentials are within five minutes of expiry, so a backup or
 * restore that outlasts one set (a long multipart upload) is signed with the next.
 */
export function scopedClients(
  region: string,
  credentials: () => Promise<ScopedCredentials>,
): { s3: S3Client; kms: KMSClient } {
  return {
    s3: new S3Client({
      ...baseConfig('S3'),
      region,
      credentials,
      forcePathStyle: endpointFor('S3') !== undefined,
    }),
    kms: new KMSClient({ ...baseConfig('KMS'), region, credentials }),
  };
}

/**
 * moto over HTTP for the backup suites: KMS wraps the repository key and S3
 * holds the S3 repositories. Starts one moto per suite on a free port.
 */
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { clients } from '../../../core/aws-clients.js';
import { DATA_PACK_TAG } from '../../../core/media-tiers.js';
import { REPO_ROOT } from '../../../infra/local/local-cloud.js';
import { type Moto, startMoto } from '../../../infra/local/moto.js';
import { ensurePythonEnv } from '../../../infra/local/python-env.js';

export interface TestCloud {
  moto: Moto;
  kmsKeyId: string;
  bucket: string;
}

export async function startTestCloud(): Promise<TestCloud> {
  const { python } = await ensurePythonEnv(REPO_ROOT);
  const moto = await startMoto(python, REPO_ROOT);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: moto.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  const key = await clients.kms().send(new CreateKeyCommand({ Description: 'tidemark backup test' }));
  const bucket = `media-${Date.now().toString(36)}`;
  await clients.s3().send(new CreateBucketCommand({ Bucket: bucket }));
  return { moto, kmsKeyId: key.KeyMetadata?.KeyId ?? '', bucket };
}

/**
 * Does what the media bucket's lifecycle rule does once packs are old: the packs under `prefix`
 * tagged as data move to GLACIER, the others (manifest pages) stay. Returns how many of each.
 */
export async function ageDataPacks(bucket: string, prefix: string): Promise<{ moved: number; kept: number }> {
  const s3 = clients.s3();
  const counts = { moved: 0, kept: 0 };
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  for (const { Key } of listed.Contents ?? []) {
    const { TagSet } = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key }));
    if (!TagSet?.some((tag) => tag.Key === DATA_PACK_TAG.key && tag.Value === DATA_PACK_TAG.value)) {
      counts.kept++;
      continue;
    }
    await s3.send(
      new CopyObjectCommand({ Bucket: bucket, Key, CopySource: `${bucket}/${Key}`, StorageClass: 'GLACIER' }),
    );
    counts.moved++;
  }
  return counts;
}

/**
 * What one set of media credentials may do: the inline session policy
 * `POST /agent/credentials` puts on the agent data role, per purpose.
 *
 * - backup (a replica of the scenario): read and add objects under the
 *   scenario's repository prefix, never delete or overwrite history (the
 *   bucket is versioned, so a put adds a version), and generate or unwrap
 *   repository keys bound to this scenario.
 * - restore (the destination of an active restore job): read only.
 *
 * KMS use is limited two ways: repository data keys carry the encryption
 * context `tidemark:scenario = <scenarioId>` (a key wrapped for one scenario
 * cannot be unwrapped with another's credentials), and SSE-KMS through S3
 * (`kms:ViaService`), which the bucket's default encryption needs.
 */
import { type MediaCredentialsRequest, repositoryPrefixOf } from './agent-commands.js';

export type MediaPurpose = MediaCredentialsRequest['purpose'];

/** The encryption-context key every repository data key is bound to. */
export const SCENARIO_CONTEXT_KEY = 'tidemark:scenario';

export function repositoryKeyContextOf(scenarioId: string): Record<string, string> {
  return { [SCENARIO_CONTEXT_KEY]: scenarioId };
}

const OBJECT_ACTIONS: Record<MediaPurpose, string[]> = {
  backup: ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'],
  restore: ['s3:GetObject'],
};
const KEY_ACTIONS: Record<MediaPurpose, string[]> = {
  backup: ['kms:GenerateDataKey', 'kms:Decrypt'],
  restore: ['kms:Decrypt'],
};

export interface MediaPolicyScope {
  purpose: MediaPurpose;
  bucket: string;
  scenarioId: string;
  keyArn: string;
  region: string;
}

/** The session policy: the intersection with the role's own policy is what the credentials may do. */
export function mediaSessionPolicy(scope: MediaPolicyScope): string {
  const prefix = repositoryPrefixOf(scope.scenarioId);
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'RepositoryObjects',
        Effect: 'Allow',
        Action: OBJECT_ACTIONS[scope.purpose],
        Resource: `arn:aws:s3:::${scope.bucket}/${prefix}/*`,
      },
      {
        Sid: 'RepositoryListing',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: `arn:aws:s3:::${scope.bucket}`,
        Condition: { StringLike: { 's3:prefix': [`${prefix}/*`] } },
      },
      {
        Sid: 'RepositoryKeys',
        Effect: 'Allow',
        Action: KEY_ACTIONS[scope.purpose],
        Resource: scope.keyArn,
        Condition: { StringEquals: { [`kms:EncryptionContext:${SCENARIO_CONTEXT_KEY}`]: scope.scenarioId } },
      },
      {
        Sid: 'BucketEncryption',
        Effect: 'Allow',
        Action: KEY_ACTIONS[scope.purpose],
        Resource: scope.keyArn,
        Condition: { StringEquals: { 'kms:ViaService': `s3.${scope.region}.amazonaws.com` } },
      },
    ],
  });
}

/**
 * POST /agent/credentials: short-lived AWS credentials for an agent's data
 * path, limited to one scenario's repository (`repos/<scenarioId>/*` of the
 * media bucket) and the media key by an inline session policy on top of the
 * agent data role. Only the scenario's master or replicas may ask, or the
 * destination host of an active restore job of that scenario (403 otherwise).
 * The secret goes back in the response only; it is never logged or stored.
 */
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import {
  type MediaCredentials,
  MediaCredentialsRequest,
  repositoryPrefixOf,
} from '../../../core/agent-commands.js';
import { clients } from '../../../core/aws-clients.js';
import { ENV, requireEnv } from '../../../core/environment.js';
import { TidemarkError } from '../../../core/error-catalogue.js';
import type { Job } from '../../../core/job.js';
import type { Scenario } from '../../../core/scenario.js';
import { getHost } from '../../repositories/hosts.js';
import { getJob } from '../../repositories/jobs.js';
import { requireScenario } from '../../repositories/scenarios.js';
import { agentHostId } from '../../shared/agent-principal.js';
import { httpHandler } from '../../shared/http-handler.js';

/** Long enough for a step between heartbeats; the agent asks again before it runs out. */
export const CREDENTIAL_SECONDS = 900;

function restoreDestinationOf(job: Job, scenario: Scenario): string | undefined {
  if (job.kind !== 'restore' || job.status !== 'active' || !job.restore) return undefined;
  if (job.scenarios[0]?.scenarioId !== scenario.id) return undefined;
  if (job.restore.to === 'replica') return scenario.replicas[0]?.host;
  return (job.restore.to === 'original' ? undefined : job.restore.host)?.toLowerCase() ?? scenario.master;
}

/** The session policy: the intersection with the role's own policy is what the credentials may do. */
export function sessionPolicyOf(bucket: string, scenarioId: string, keyArn: string): string {
  const prefix = repositoryPrefixOf(scenarioId);
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          's3:GetObject',
          's3:PutObject',
          's3:PutObjectTagging',
          's3:DeleteObject',
          's3:AbortMultipartUpload',
          's3:RestoreObject',
        ],
        Resource: `arn:aws:s3:::${bucket}/${prefix}/*`,
      },
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: `arn:aws:s3:::${bucket}`,
        Condition: { StringLike: { 's3:prefix': [`${prefix}/*`] } },
      },
      { Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:Encrypt'], Resource: keyArn },
    ],
  });
}

export const handler = httpHandler({ body: MediaCredentialsRequest }, async ({ body, principal }) => {
  const hostId = agentHostId(principal);
  const host = await getHost(hostId);
  const scenario = await requireScenario(body.scenarioId);
  const participants = [scenario.master, ...scenario.replicas.map((replica) => replica.host)];
  let allowed = host !== undefined && participants.includes(host.name);
  if (!allowed && host && body.jobId) {
    const job = await getJob(body.jobId);
    allowed = job !== undefined && restoreDestinationOf(job, scenario) === host.name;
  }
  if (!allowed) {
    throw new TidemarkError(
      'Forbidden',
      `host ${host?.name ?? hostId} takes no part in scenario ${scenario.name} and is no destination of an active restore of it`,
      403,
      'scenarioId',
    );
  }
  const bucket = requireEnv(ENV.mediaBucket);
  const kmsKeyId = requireEnv(ENV.mediaKeyId);
  const { Credentials } = await clients.sts().send(
    new AssumeRoleCommand({
      RoleArn: requireEnv(ENV.agentDataRoleArn),
      RoleSessionName: `tidemark-${hostId}`.slice(0, 64),
      DurationSeconds: CREDENTIAL_SECONDS,
      Policy: sessionPolicyOf(bucket, scenario.id, kmsKeyId),
    }),
  );
  if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey || !Credentials.SessionToken) {
    throw new Error('STS returned no credentials');
  }
  const answer: MediaCredentials = {
    accessKeyId: Credentials.AccessKeyId,
    secretAccessKey: Credentials.SecretAccessKey,
    sessionToken: Credentials.SessionToken,
    expiration: (Credentials.Expiration ?? new Date(Date.now() + CREDENTIAL_SECONDS * 1000)).toISOString(),
    region: await clients.sts().config.region(),
    bucket,
    prefix: repositoryPrefixOf(scenario.id),
    kmsKeyId,
  };
  return { body: answer };
});

/**
 * POST /agent/credentials: short-lived AWS credentials for an agent's data
 * path, limited by an inline session policy (core/media-session-policy.ts)
 * to one scenario's repository and to what the purpose needs. A backup is
 * for the scenario's replicas only (the master never needs media); a restore
 * is for the destination host of the active restore job named in the
 * request, read only. Anyone else gets 403. The secret goes back in the
 * response only; it is never logged or stored.
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
import { mediaSessionPolicy } from '../../../core/media-session-policy.js';
import type { Scenario } from '../../../core/scenario.js';
import { getHost } from '../../repositories/hosts.js';
import { getJob } from '../../repositories/jobs.js';
import { requireScenario } from '../../repositories/scenarios.js';
import { agentHostId } from '../../shared/agent-principal.js';
import { httpHandler } from '../../shared/http-handler.js';

/** Long enough for a step between heartbeats; the agent asks again before it runs out. */
export const CREDENTIAL_SECONDS = 900;

/** The hosts an active restore job writes on: its destination and, for a restore into the replica, the master (flow back). */
function restoreDestinationsOf(job: Job, scenario: Scenario): string[] {
  if (job.kind !== 'restore' || job.status !== 'active' || !job.restore) return [];
  if (job.scenarios[0]?.scenarioId !== scenario.id) return [];
  const to = job.restore.to ?? 'alternate';
  if (to === 'replica') return [scenario.replicas[0]?.host, scenario.master].filter((h) => h !== undefined);
  if (to === 'original') return [scenario.master];
  return [job.restore.host?.toLowerCase() ?? scenario.master];
}

/** Why `hostName` may not have credentials of `request.purpose` for `scenario`, or undefined when it may. */
async function refusalOf(
  hostName: string,
  scenario: Scenario,
  request: MediaCredentialsRequest,
): Promise<{ message: string; field: string } | undefined> {
  if (request.purpose === 'backup') {
    if (scenario.replicas.some((replica) => replica.host === hostName)) return undefined;
    return {
      message: `host ${hostName} is no replica of scenario ${scenario.name}: only a replica backs it up`,
      field: 'scenarioId',
    };
  }
  if (!request.jobId)
    return { message: 'restore credentials name the restore job (jobId) they are for', field: 'jobId' };
  const job = await getJob(request.jobId);
  if (job && restoreDestinationsOf(job, scenario).includes(hostName)) return undefined;
  return {
    message: `host ${hostName} is no destination of an active restore job ${request.jobId} of scenario ${scenario.name}`,
    field: 'jobId',
  };
}

export const handler = httpHandler({ body: MediaCredentialsRequest }, async ({ body, principal }) => {
  const hostId = agentHostId(principal);
  const host = await getHost(hostId);
  const scenario = await requireScenario(body.scenarioId);
  const refusal = host
    ? await refusalOf(host.name, scenario, body)
    : { message: `host ${hostId} is not enrolled`, field: 'scenarioId' };
  if (refusal) throw new TidemarkError('Forbidden', refusal.message, 403, refusal.field);
  const bucket = requireEnv(ENV.mediaBucket);
  const kmsKeyId = requireEnv(ENV.mediaKeyId);
  const region = await clients.sts().config.region();
  const { Credentials } = await clients.sts().send(
    new AssumeRoleCommand({
      RoleArn: requireEnv(ENV.agentDataRoleArn),
      RoleSessionName: `tidemark-${body.purpose}-${hostId}`.slice(0, 64),
      DurationSeconds: CREDENTIAL_SECONDS,
      Policy: mediaSessionPolicy({
        purpose: body.purpose,
        bucket,
        scenarioId: scenario.id,
        keyArn: kmsKeyId,
        region,
      }),
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
    region,
    bucket,
    prefix: repositoryPrefixOf(scenario.id),
    kmsKeyId,
  };
  return { body: answer };
});

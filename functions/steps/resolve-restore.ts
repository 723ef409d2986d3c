/**
 * First step of the restore workflow: reads the job and turns its request
 * into what the agents need. The selection: a whole session, master paths
 * of it (by tree: the session is the chosen recovery point), or the paths
 * its name index matches (by query). The destination: the master's own
 * paths (`/`), the replica's directory, or an alternate host and folder.
 * E3370 when the scenario cannot be read, E3371 when the catalog has no
 * location for the session or what was asked of it. Also lists the
 * session's objects that sit in a Glacier tier and must be retrieved first.
 * For the replica it also plans the flow back: the same restore on the
 * master at `/` (docs/workflows.md, "Restore into the replica"). Takes
 * the scenario lock last (AE0470); FinishRestore releases it.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { type RestoreArgs, repositoryPrefixOf } from '../../core/agent-commands.js';
import { clients } from '../../core/aws-clients.js';
import { ENV, requireEnv } from '../../core/environment.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import { compilePattern } from '../../core/file-index/wildcard.js';
import type { Job, RestoreTarget } from '../../core/job.js';
import type { ScenarioView } from '../../core/scenario-status.js';
import { type Session, SessionNumber } from '../../core/session.js';
import { BACKUP_TIMEOUT_SECONDS, lockLeaseSeconds, RestoreJobInput } from '../../core/workflow-input.js';
import { hostByName, resolveScenarioHosts } from '../api/scenarios/scenario-hosts.js';
import { loadNameIndex } from '../repositories/file-index.js';
import { getJob } from '../repositories/jobs.js';
import { acquireLock } from '../repositories/locks.js';
import { findScenario } from '../repositories/scenarios.js';
import { getSession } from '../repositories/sessions.js';
import { stepHandler } from '../shared/step-handler.js';

const COLD = new Set(['GLACIER', 'DEEP_ARCHIVE']);
/** Keys handed on through the state (Step Functions keeps a state under 256 KiB). */
const MAX_COLD_OBJECTS = 500;
const DEFAULT_POLL_SECONDS = 60;

async function restoreJob(jobId: string): Promise<Job & { restore: RestoreTarget }> {
  const job = await getJob(jobId);
  if (job?.kind !== 'restore' || !job.restore) {
    throw new TidemarkError('AE0468', `job ${jobId} is not a restore job in the catalog`);
  }
  return job as Job & { restore: RestoreTarget };
}

async function readScenario(scenarioId: string, name: string): Promise<ScenarioView> {
  const scenario = await findScenario(scenarioId).catch((error: unknown) => {
    if ((error as Error).name === 'ZodError') return undefined;
    throw error;
  });
  if (!scenario) throw TidemarkError.fromCatalogue('E3370', { scenario: name, scenarioId });
  return scenario;
}

function notInCatalog(sessionId: string, detail: string, session?: Session): TidemarkError {
  const error = TidemarkError.fromCatalogue('E3371', {
    session: sessionId,
    media: session ? `s3://${session.media.bucket}/${session.media.prefix}` : 'unknown',
    mediaId: session?.media.bucket ?? 'unknown',
  });
  return new TidemarkError('E3371', `${error.message} (${detail})`, 404);
}

async function sessionOf(target: RestoreTarget, scenario: ScenarioView): Promise<Session> {
  const number = SessionNumber.safeParse(target.sessionId);
  if (!number.success) throw notInCatalog(target.sessionId, 'not a session number');
  const session = await getSession(number.data);
  if (!session) throw notInCatalog(target.sessionId, 'no committed session has this number');
  if (session.scenarioId !== scenario.id) {
    throw notInCatalog(
      target.sessionId,
      `the session belongs to another scenario than ${scenario.name}`,
      session,
    );
  }
  return session;
}

/** The master paths to restore: all (undefined), the tree's paths, or the query's matches. */
async function selectedPaths(target: RestoreTarget, session: Session): Promise<string[] | undefined> {
  if (!target.paths && !target.pattern) return undefined;
  const index = await loadNameIndex(session);
  if (target.paths) {
    const absent = target.paths.find((path) => !index.has(path));
    if (absent) throw notInCatalog(target.sessionId, `the session holds no ${absent}`, session);
    return target.paths;
  }
  const pattern = compilePattern(target.pattern as string, 'restore.pattern');
  const paths: string[] = [];
  index.match(pattern, (path) => {
    paths.push(path);
    return true;
  });
  if (paths.length === 0)
    throw notInCatalog(target.sessionId, `no file matches '${target.pattern}'`, session);
  return paths;
}

/** Objects of the session's repository in a Glacier tier: its packs, indexes and its own manifest. */
async function coldObjects(session: Session): Promise<string[]> {
  const prefix = session.media.prefix.replace(/\/+$/, '');
  const wanted = [`${prefix}/packs/`, `${prefix}/index/`, `${prefix}/sessions/${session.number}/`];
  const cold: string[] = [];
  let token: string | undefined;
  do {
    const page = await clients.s3().send(
      new ListObjectsV2Command({
        Bucket: session.media.bucket,
        Prefix: `${prefix}/`,
        ContinuationToken: token,
      }),
    );
    for (const object of page.Contents ?? []) {
      const key = object.Key ?? '';
      if (COLD.has(object.StorageClass ?? '') && wanted.some((start) => key.startsWith(start)))
        cold.push(key);
    }
    token = page.NextContinuationToken;
  } while (token && cold.length < MAX_COLD_OBJECTS);
  return cold.slice(0, MAX_COLD_OBJECTS);
}

/** How long a Glacier retrieval may take (Deep Archive bulk: up to 48 h), added to the lock's lease. */
const GLACIER_RETRIEVAL_SECONDS = 48 * 3600;

export const handler = stepHandler(RestoreJobInput, async (input) => {
  const job = await restoreJob(input.jobId);
  const target = job.restore;
  const child = job.scenarios[0];
  if (!child) throw new TidemarkError('AE0468', `restore job ${job.id} names no scenario`);
  const scenario = await readScenario(child.scenarioId, child.scenarioName);
  const session = await sessionOf(target, scenario);
  const paths = await selectedPaths(target, session);
  const hosts = await resolveScenarioHosts(scenario, 409);

  const to = target.to ?? 'alternate';
  let destinationHostId = hosts.master.id;
  let directory = '/';
  if (to === 'replica') {
    const [replica] = hosts.replicas;
    const spec = scenario.replicas[0];
    if (!replica || !spec) throw new TidemarkError('AE0468', `scenario ${scenario.name} has no replica`);
    destinationHostId = replica.id;
    directory = spec.directory;
  } else if (to === 'alternate') {
    const name = target.host ?? scenario.master;
    const host = await hostByName(name);
    if (!host) {
      throw TidemarkError.fromCatalogue('AE0467', {
        scenario: scenario.name,
        scenarioId: scenario.id,
        host: name,
      });
    }
    destinationHostId = host.id;
    directory = target.destination as string;
  }

  const restoreArgs: RestoreArgs = {
    jobId: job.id,
    scenarioId: scenario.id,
    repository: {
      bucket: session.media.bucket,
      prefix: repositoryPrefixOf(scenario.id),
      kmsKeyId: requireEnv(ENV.mediaKeyId),
      cataloged: true,
    },
    sessionNumber: session.number,
    ...(paths ? { paths } : {}),
    directory,
    heldOpen: [],
  };
  const cold = await coldObjects(session);
  const ref = { scenarioId: scenario.id, scenarioName: scenario.name };
  // Last, so a resolve that fails never holds it; FinishRestore releases it on every path after this.
  // A backup must not snapshot or commit while a restore writes into the scenario's data.
  const retrieval = cold.length > 0 ? GLACIER_RETRIEVAL_SECONDS : 0;
  const lease = lockLeaseSeconds(scenario.options.agentTimeoutSeconds) + retrieval;
  await acquireLock(scenario.id, job.id, lease, scenario.name);
  return {
    scenarioId: scenario.id,
    scenarioName: scenario.name,
    to,
    sessionNumber: session.number,
    selection: target.paths ? 'tree' : target.pattern ? 'query' : 'session',
    paths: paths?.length ?? 0,
    masterHostId: hosts.master.id,
    destinationHostId,
    // Data written over what replication keeps in step must not race it: stop the scenario first.
    stopScenario: to !== 'alternate',
    // A restore into the replica flows back: the master restores the same selection at its own paths.
    flowBack: to === 'replica',
    masterRestoreArgs: { ...restoreArgs, directory: '/' } satisfies RestoreArgs,
    continueIfCannotStop: target.continueRestoreIfCannotStop ?? scenario.options.continueRestoreIfCannotStop,
    timeoutSeconds: scenario.options.agentTimeoutSeconds,
    restoreTimeoutSeconds: BACKUP_TIMEOUT_SECONDS,
    stopArgs: ref,
    restoreArgs,
    bucket: session.media.bucket,
    coldObjects: cold,
    needsRetrieval: cold.length > 0,
    tier: target.tier ?? 'standard',
    pollSeconds: input.retrievalPollSeconds ?? DEFAULT_POLL_SECONDS,
  };
});

export const ResolvedRestore = z.object({
  scenarioId: z.string(),
  scenarioName: z.string(),
  to: z.enum(['alternate', 'original', 'replica']),
  sessionNumber: z.number(),
  selection: z.string(),
  paths: z.number(),
  masterHostId: z.string(),
  stopScenario: z.boolean(),
  flowBack: z.boolean().optional(),
});

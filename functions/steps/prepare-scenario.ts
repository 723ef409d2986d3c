/**
 * First step of a scenario in the backup workflow: every check that must
 * pass before the replica is touched, then the scenario lock. E3370 when the
 * scenario cannot be read, AE0465 when it is not replicating, AE0471 without
 * a mode, AE0459 when the submitter's host scope misses master or replica,
 * AE0467 when a host is no longer enrolled, AE0470 when another job holds
 * it. Returns everything the later steps pass to agents. A scheduled run
 * first shows itself on its job (scheduled-run.ts).
 */
import { z } from 'zod';
import { repositoryPrefixOf } from '../../core/agent-commands.js';
import { ENV, requireEnv } from '../../core/environment.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import { type Scenario, snapshotRetentionOf } from '../../core/scenario.js';
import type { ScenarioView } from '../../core/scenario-status.js';
import { BACKUP_TIMEOUT_SECONDS, lockLeaseSeconds } from '../../core/workflow-input.js';
import { resolveScenarioHosts } from '../api/scenarios/scenario-hosts.js';
import { getJob } from '../repositories/jobs.js';
import { acquireLock } from '../repositories/locks.js';
import { findScenario } from '../repositories/scenarios.js';
import { listSessions } from '../repositories/sessions.js';
import { HostScope } from '../shared/host-scope.js';
import { stepHandler } from '../shared/step-handler.js';
import { markScheduledRunActive } from './scheduled-run.js';

const Input = z.object({
  jobId: z.string().min(1),
  scenarioId: z.string().min(1),
  scenarioName: z.string(),
  /** The execution (`$$.Execution`): a scheduled run shows on its job from here. */
  executionArn: z.string().min(1).optional(),
  executionStartedAt: z.string().min(1).optional(),
});

async function loadScenario(scenarioId: string, scenarioName: string): Promise<ScenarioView> {
  let scenario: ScenarioView | undefined;
  try {
    scenario = await findScenario(scenarioId);
  } catch (error) {
    // A stored item that no longer parses is as unreadable as a missing one.
    if ((error as Error).name !== 'ZodError') throw error;
  }
  if (!scenario) throw TidemarkError.fromCatalogue('E3370', { scenario: scenarioName, scenarioId });
  return scenario;
}

function assertAuthority(scenario: Scenario, scope: readonly string[] | undefined): void {
  const host = HostScope.of(scope).uncovered(scenario);
  if (host)
    throw TidemarkError.fromCatalogue('AE0459', { scenario: scenario.name, scenarioId: scenario.id, host });
}

export const handler = stepHandler(Input, async ({ jobId, scenarioId, scenarioName, ...execution }) => {
  if (execution.executionArn && execution.executionStartedAt) {
    await markScheduledRunActive(jobId, {
      executionArn: execution.executionArn,
      startedAt: execution.executionStartedAt,
    });
  }
  const scenario = await loadScenario(scenarioId, scenarioName);
  const label = { scenario: scenario.name, scenarioId: scenario.id };
  if (scenario.state !== 'replicating') {
    throw TidemarkError.fromCatalogue('AE0465', { ...label, state: scenario.state });
  }
  const mode = scenario.options.mode;
  if (!mode) throw TidemarkError.fromCatalogue('AE0471', label);
  const job = await getJob(jobId);
  assertAuthority(scenario, job?.submitterHostScope);
  const hosts = await resolveScenarioHosts(scenario, 409);
  const replica = hosts.replicas[0];
  if (!replica) throw TidemarkError.fromCatalogue('AE0467', { ...label, host: 'no replica' });

  const timeoutSeconds = scenario.options.agentTimeoutSeconds;
  await acquireLock(scenario.id, jobId, lockLeaseSeconds(timeoutSeconds), scenario.name);

  // Agents get the definition only; other hosts' reports are none of their business.
  const { reports: _reports, ...definition } = scenario;
  const ref = { scenarioId: scenario.id, scenarioName: scenario.name };
  const keep = snapshotRetentionOf(scenario);
  return {
    startedAt: new Date().toISOString(),
    scenario: definition,
    mode,
    masterHost: hosts.master.name,
    masterHostId: hosts.master.id,
    replicaHost: replica.name,
    replicaHostId: replica.id,
    timeoutSeconds,
    backupTimeoutSeconds: BACKUP_TIMEOUT_SECONDS,
    // A failed AR test stops the job before the backup, so a backup after AR is application-consistent.
    applicationConsistent: mode === 'assured_recovery',
    repository: {
      bucket: requireEnv(ENV.mediaBucket),
      prefix: repositoryPrefixOf(scenario.id),
      kmsKeyId: requireEnv(ENV.mediaKeyId),
      cataloged: (await listSessions({ scenarioId: scenario.id }, 1)).sessions.length > 0,
    },
    refArgs: ref,
    snapshotArgs: { ...ref, jobId },
    releaseArgs: keep === undefined ? ref : { ...ref, keep },
  };
});

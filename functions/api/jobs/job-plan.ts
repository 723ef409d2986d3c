/**
 * Turns a submit request into a job and its workflow input: resolves each
 * scenario (by id or name), checks the submitter's host scope, and finds the
 * hosts the workflow talks to.
 */
import { randomUUID } from 'node:crypto';
import { TidemarkError } from '../../../core/error-catalogue.js';
import type { Job, SubmitJobRequest } from '../../../core/job.js';
import type { ScenarioView } from '../../../core/scenario-status.js';
import type { BackupJobInput, RestoreJobInput } from '../../../core/workflow-input.js';
import { findScenario } from '../../repositories/scenarios.js';
import { scheduleNameOf } from '../../repositories/schedules.js';
import type { HostScope } from '../../shared/host-scope.js';
import { hostByName, resolveScenarioHosts } from '../scenarios/scenario-hosts.js';
import { assertHostAuthority, assertJobAuthority } from './job-authority.js';

export interface JobPlan {
  job: Job;
  input: BackupJobInput | RestoreJobInput;
}

async function resolveScenarios(refs: readonly string[]): Promise<ScenarioView[]> {
  const scenarios = await Promise.all(refs.map((ref) => findScenario(ref)));
  const seen = new Set<string>();
  return scenarios.map((scenario, index) => {
    const field = `scenarios.${index}`;
    if (!scenario) {
      throw new TidemarkError(
        'BadRequest',
        `body field '${field}': no scenario has the id or name '${refs[index]}'`,
        400,
        field,
      );
    }
    if (seen.has(scenario.id)) {
      throw new TidemarkError(
        'BadRequest',
        `body field '${field}': scenario '${scenario.name}' is named twice`,
        400,
        field,
      );
    }
    seen.add(scenario.id);
    return scenario;
  });
}

export async function planJob(
  request: SubmitJobRequest,
  submittedBy: string,
  scope: HostScope,
): Promise<JobPlan> {
  const scenarios = await resolveScenarios(request.scenarios);
  assertJobAuthority(scenarios, scope);
  const id = `j-${randomUUID()}`;
  const scheduled = request.kind === 'backup' && request.schedule !== undefined;
  const job: Job = {
    id,
    kind: request.kind,
    name: request.name,
    scenarios: scenarios.map((s) => ({ scenarioId: s.id, scenarioName: s.name, status: 'ready' })),
    status: 'ready',
    createdAt: new Date().toISOString(),
    submittedBy,
    ...(request.kind === 'backup' ? { schedule: request.schedule } : { restore: request.restore }),
    ...(scheduled ? { scheduleName: scheduleNameOf(id) } : {}),
  };

  if (request.kind === 'restore') {
    const [scenario] = scenarios as [ScenarioView];
    const hostName = (request.restore.host ?? scenario.master).toLowerCase();
    assertHostAuthority(hostName, scope, 'restore.host');
    const host = await hostByName(hostName);
    if (!host) {
      throw new TidemarkError('AE0467', `host ${hostName} is not an enrolled host`, 400, 'restore.host');
    }
    const input: RestoreJobInput = {
      jobId: id,
      hostId: host.id,
      sessionId: request.restore.sessionId,
      destination: request.restore.destination,
      timeoutSeconds: scenario.options.agentTimeoutSeconds,
    };
    return { job, input };
  }

  // Backups are read from the scenario's first replica.
  const items = await Promise.all(
    scenarios.map(async (scenario) => {
      const hosts = await resolveScenarioHosts(scenario, 409);
      const replica = hosts.replicas[0];
      if (!replica) throw new Error(`scenario ${scenario.id} has no replica`);
      return {
        scenarioId: scenario.id,
        scenarioName: scenario.name,
        replicaHostId: replica.id,
        timeoutSeconds: scenario.options.agentTimeoutSeconds,
      };
    }),
  );
  return { job, input: { jobId: id, scenarios: items } };
}

/**
 * The Step Functions side of a job: start its execution, stop it, and fold
 * a finished execution back into the job (status done, result, children).
 */
import { DescribeExecutionCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { clients } from '../../../core/aws-clients.js';
import { ENV, requireEnv } from '../../../core/environment.js';
import type { ChildJob, Job, JobKind } from '../../../core/job.js';
import { JobResult, ScenarioOutcome } from '../../../core/workflow-input.js';
import { appendActivity } from '../../repositories/activity.js';
import { createCommand } from '../../repositories/commands.js';
import { getJob, moveJob } from '../../repositories/jobs.js';
import { releaseLock } from '../../repositories/locks.js';
import { findScenario } from '../../repositories/scenarios.js';
import { publishJobAlert } from '../../steps/job-report.js';
import { statusAfterRun } from '../../steps/scheduled-run.js';
import { hostByName } from '../scenarios/scenario-hosts.js';

const STATE_MACHINE = { backup: ENV.backupStateMachineArn, restore: ENV.restoreStateMachineArn } as const;

export async function startJobExecution(jobId: string, kind: JobKind, input: unknown): Promise<string> {
  const { executionArn } = await clients.sfn().send(
    new StartExecutionCommand({
      stateMachineArn: requireEnv(STATE_MACHINE[kind]),
      // The job id names the execution, so a retried start cannot run the job twice.
      name: jobId,
      input: JSON.stringify(input),
    }),
  );
  if (!executionArn) throw new Error(`Step Functions started job ${jobId} without an execution ARN`);
  return executionArn;
}

/**
 * Stops a running execution; one that already ended or never existed is
 * fine. A stopped execution runs no more steps, so what its backup branches
 * would have done on the way out is done here: each scenario lock the job
 * holds is released and its replica told to resume.
 */
export async function stopJobExecution(executionArn: string, jobId: string): Promise<void> {
  try {
    await clients.sfn().send(new StopExecutionCommand({ executionArn, cause: 'canceled by an operator' }));
  } catch (error) {
    if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
  }
  // By the job's id: a scheduled run's execution is named by EventBridge Scheduler, not after its job.
  const job = await getJob(jobId);
  if (job?.kind === 'backup') await undoCanceledBackup(job);
}

async function undoCanceledBackup(job: Job): Promise<void> {
  const resumed: string[] = [];
  for (const child of job.scenarios) {
    const held = await releaseLock(child.scenarioId, job.id).then(
      () => true,
      () => false, // another job holds it: that job's replica is none of ours
    );
    const scenario = held ? await findScenario(child.scenarioId).catch(() => undefined) : undefined;
    const replica = scenario ? await hostByName(scenario.replicas[0]?.host ?? '') : undefined;
    if (!scenario || !replica) continue;
    await createCommand({
      hostId: replica.id,
      kind: 'resume',
      args: { scenarioId: scenario.id, scenarioName: scenario.name },
      timeoutSeconds: scenario.options.agentTimeoutSeconds,
    });
    resumed.push(scenario.name);
  }
  const text = `Backup job ${job.id} was canceled by an operator; replication resumed for ${resumed.length ? resumed.join(', ') : 'no scenario'}.`;
  await appendActivity([
    { jobId: job.id, time: new Date().toISOString(), severity: 'warning', message: text },
  ]);
  await publishJobAlert(job.id, 'canceled', text);
}

const BackupOutput = z.object({ result: JobResult, scenarios: z.array(ScenarioOutcome) });

function finishedChildren(job: Job, result: JobResult, output: unknown): ChildJob[] {
  const parsed = BackupOutput.safeParse(output);
  return job.scenarios.map((child) => {
    const outcome = parsed.success
      ? parsed.data.scenarios.find((o) => o.scenarioId === child.scenarioId)
      : undefined;
    if (!outcome) return { ...child, status: 'done', result };
    return { ...child, status: 'done', result: outcome.status, error: outcome.error };
  });
}

/**
 * An active job whose execution has ended becomes done (a scheduled job
 * ready for its next run), with the result the workflow reported (or
 * failed/canceled when it failed or was stopped).
 */
export async function reconcileJob(job: Job): Promise<Job> {
  if (job.status !== 'active' || !job.executionArn) return job;
  const execution = await clients
    .sfn()
    .send(new DescribeExecutionCommand({ executionArn: job.executionArn }));
  if (execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE') return job;
  let output: unknown;
  try {
    output = execution.output ? JSON.parse(execution.output) : undefined;
  } catch {
    output = undefined;
  }
  let result: JobResult = 'failed';
  if (execution.status === 'ABORTED') result = 'canceled';
  if (execution.status === 'SUCCEEDED') result = BackupOutput.safeParse(output).data?.result ?? 'completed';
  const status = statusAfterRun(job);
  return moveJob(job, status, {
    result,
    endedAt: (execution.stopDate ?? new Date()).toISOString(),
    scenarios: finishedChildren(job, result, output).map((child) => ({ ...child, status })),
  });
}

/**
 * A run of a scheduled job is started by EventBridge Scheduler, not by the
 * jobs API, so nobody has told the job it runs: the first scenario branch
 * moves it ready → active with the execution, so `jobs get` shows the run
 * and cancel can stop it. The job goes back to ready when the run ends
 * (job-report.ts). Run-now jobs are made active by POST /jobs itself.
 */
import { TidemarkError } from '../../core/error-catalogue.js';
import type { Job } from '../../core/job.js';
import { getJob, moveJob } from '../repositories/jobs.js';

export interface ExecutionRef {
  executionArn: string;
  startedAt: string;
}

export async function markScheduledRunActive(jobId: string, execution: ExecutionRef): Promise<void> {
  const job = await getJob(jobId);
  if (!job?.schedule || job.status !== 'ready') return;
  await moveJob(job, 'active', {
    ...execution,
    scenarios: job.scenarios.map((child) => ({ ...child, status: 'active' as const })),
  }).catch((error: unknown) => {
    // Another scenario branch of the same run got there first.
    if (!(error instanceof TidemarkError && error.status === 409)) throw error;
  });
}

/** Where a job goes when a run ends: a scheduled job waits for its next run. */
export function statusAfterRun(job: Pick<Job, 'status' | 'schedule'>): Job['status'] {
  if (job.status !== 'active') return job.status;
  return job.schedule ? 'ready' : 'done';
}

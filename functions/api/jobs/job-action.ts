/** Hold, release and cancel: check the rule in core, act on the schedule or execution, move the job. */
import { TidemarkError } from '../../../core/error-catalogue.js';
import { type Job, type JobAction, jobActionRefusal } from '../../../core/job.js';
import { moveJob } from '../../repositories/jobs.js';
import { setJobScheduleState } from '../../repositories/schedules.js';
import { httpHandler } from '../../shared/http-handler.js';
import { reconcileJob, stopJobExecution } from './job-execution.js';
import { JobParams } from './job-params.js';

async function act(job: Job, action: JobAction): Promise<Job> {
  switch (action) {
    case 'hold':
    case 'release': {
      const moved = await moveJob(job, action === 'hold' ? 'hold' : 'ready');
      if (job.scheduleName) {
        await setJobScheduleState(job.scheduleName, action === 'hold' ? 'DISABLED' : 'ENABLED').catch(
          async (error: unknown) => {
            // Put the job back, so its status keeps matching its schedule.
            await moveJob(moved, job.status);
            throw error;
          },
        );
      }
      return moved;
    }
    case 'cancel': {
      if (job.status === 'active' && job.executionArn) await stopJobExecution(job.executionArn, job.id);
      // A canceled schedule stays (disabled) until the job is deleted.
      if (job.scheduleName) await setJobScheduleState(job.scheduleName, 'DISABLED');
      const endedAt = new Date().toISOString();
      return moveJob(job, 'done', {
        result: 'canceled',
        endedAt,
        scenarios: job.scenarios.map((child) =>
          child.status === 'done' ? child : { ...child, status: 'done', result: 'canceled' },
        ),
      });
    }
  }
}

export function jobActionHandler(action: JobAction) {
  return httpHandler({ params: JobParams }, async ({ params, catalog }) => {
    // A job whose execution already ended is done, and says so before the rule is checked.
    const job = await reconcileJob(await catalog.job(params.jobId));
    const refusal = jobActionRefusal(job, action);
    if (refusal) throw new TidemarkError('Conflict', refusal, 409, 'status');
    return { body: await act(job, action) };
  });
}

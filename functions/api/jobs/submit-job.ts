import { TidemarkError } from '../../../core/error-catalogue.js';
import { SubmitJobRequest, scheduleExpressionOf } from '../../../core/job.js';
import { deleteJob, moveJob, putNewJob } from '../../repositories/jobs.js';
import { createJobSchedule } from '../../repositories/schedules.js';
import { httpHandler } from '../../shared/http-handler.js';
import { startJobExecution } from './job-execution.js';
import { planJob } from './job-plan.js';

/**
 * POST /jobs: submit a backup or restore. Run now starts the workflow (the
 * job is active); a schedule creates an EventBridge Scheduler schedule that
 * starts the backup workflow (the job is ready).
 */
export const handler = httpHandler({ body: SubmitJobRequest }, async ({ body, principal, catalog }) => {
  const { job, input } = await planJob(body, principal.principalId, catalog.scope);
  // The workflow checks the submitter's authority again when it runs (scheduled runs come later).
  const scope = catalog.scope.list;
  if (scope) job.submitterHostScope = scope;
  await putNewJob(job);

  if (job.schedule && job.scheduleName) {
    try {
      await createJobSchedule(
        job.scheduleName,
        scheduleExpressionOf(job.schedule),
        input,
        `Tidemark job ${job.id}`,
      );
    } catch (error) {
      await deleteJob(job);
      if ((error as Error).name === 'ValidationException') {
        throw new TidemarkError(
          'BadRequest',
          `body field 'schedule': ${(error as Error).message}`,
          400,
          'schedule',
        );
      }
      throw error;
    }
    return { statusCode: 201, body: job };
  }

  try {
    const executionArn = await startJobExecution(job.id, job.kind, input);
    const active = await moveJob(job, 'active', {
      startedAt: new Date().toISOString(),
      executionArn,
      scenarios: job.scenarios.map((child) => ({ ...child, status: 'active' })),
    });
    return { statusCode: 201, body: active };
  } catch (error) {
    // The job stays in the catalog as failed, so the operator sees that the start went wrong.
    await moveJob(job, 'done', { result: 'failed', endedAt: new Date().toISOString() });
    throw error;
  }
});

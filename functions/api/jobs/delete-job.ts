import { TidemarkError } from '../../../core/error-catalogue.js';
import { deleteJob } from '../../repositories/jobs.js';
import { deleteJobSchedule } from '../../repositories/schedules.js';
import { httpHandler } from '../../shared/http-handler.js';
import { reconcileJob } from './job-execution.js';
import { JobParams } from './job-params.js';

/** DELETE /jobs/{jobId}: remove a job that is not running, and its schedule. */
export const handler = httpHandler({ params: JobParams }, async ({ params, catalog }) => {
  const job = await reconcileJob(await catalog.job(params.jobId));
  if (job.status === 'active') {
    throw new TidemarkError('Conflict', `job ${job.id} is running; cancel it first`, 409, 'status');
  }
  if (job.scheduleName) await deleteJobSchedule(job.scheduleName);
  await deleteJob(job);
  return { statusCode: 204, body: null };
});

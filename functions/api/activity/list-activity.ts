import { listActivity } from '../../repositories/activity.js';
import { httpHandler } from '../../shared/http-handler.js';
import { ActivityQuery, JobParams } from './schemas.js';

/** GET /jobs/{jobId}/activity: the job's activity log in time order. */
export const handler = httpHandler(
  { params: JobParams, query: ActivityQuery },
  async ({ params, query, catalog }) => {
    const job = await catalog.job(params.jobId);
    return { body: { jobId: job.id, ...(await listActivity(job.id, query.limit, query.next)) } };
  },
);

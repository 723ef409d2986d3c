import { ListJobsQuery } from '../../../core/job.js';
import { listJobs } from '../../repositories/jobs.js';
import { httpHandler } from '../../shared/http-handler.js';

/** GET /jobs?status=: the queue, newest first; all jobs without a status. */
export const handler = httpHandler({ query: ListJobsQuery }, async ({ query }) => ({
  body: await listJobs(query.status, query.limit, query.next),
}));

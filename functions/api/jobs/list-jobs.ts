import { ListJobsQuery } from '../../../core/job.js';
import { httpHandler } from '../../shared/http-handler.js';

/** GET /jobs?status=: the queue, newest first; all jobs without a status. */
export const handler = httpHandler({ query: ListJobsQuery }, async ({ query, catalog }) => ({
  body: await catalog.jobs(query.status, query.limit, query.next),
}));

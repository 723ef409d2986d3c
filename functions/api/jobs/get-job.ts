import { httpHandler } from '../../shared/http-handler.js';
import { reconcileJob } from './job-execution.js';
import { JobParams } from './job-params.js';

/** GET /jobs/{jobId}: one job; a running one is first brought up to date with its execution. */
export const handler = httpHandler({ params: JobParams }, async ({ params, catalog }) => ({
  body: await reconcileJob(await catalog.job(params.jobId)),
}));

import { listActivity } from '../../repositories/activity.js';
import { allPages } from '../../repositories/partition-query.js';
import { sessionsOfJob } from '../../repositories/sessions.js';
import { httpHandler } from '../../shared/http-handler.js';
import { JobParams } from '../activity/schemas.js';
import { jobReport } from './build-reports.js';

/** GET /reports/jobs/{jobId}: a backup job's sessions, bytes, files, throughput, result, errors and warnings. */
export const handler = httpHandler({ params: JobParams }, async ({ params, catalog }) => {
  const job = await catalog.job(params.jobId);
  const [sessions, activity] = await Promise.all([sessionsOfJob(job.id), allActivity(job.id)]);
  return { body: jobReport(job, sessions, activity) };
});

function allActivity(jobId: string) {
  return allPages(
    (cursor) => listActivity(jobId, 1000, cursor),
    (page) => page.entries,
  );
}

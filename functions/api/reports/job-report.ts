import { listActivity } from '../../repositories/activity.js';
import { requireJob } from '../../repositories/jobs.js';
import { sessionsOfJob } from '../../repositories/sessions.js';
import { httpHandler } from '../../shared/http-handler.js';
import { JobParams } from '../activity/schemas.js';
import { jobReport } from './build-reports.js';

/** GET /reports/jobs/{jobId}: a backup job's sessions, bytes, files, throughput, result, errors and warnings. */
export const handler = httpHandler({ params: JobParams }, async ({ params }) => {
  const job = await requireJob(params.jobId);
  const [sessions, activity] = await Promise.all([sessionsOfJob(job.id), allActivity(job.id)]);
  return { body: jobReport(job, sessions, activity) };
});

async function allActivity(jobId: string) {
  const entries = [];
  let next: string | undefined;
  do {
    const page = await listActivity(jobId, 1000, next);
    entries.push(...page.entries);
    next = page.next;
  } while (next);
  return entries;
}

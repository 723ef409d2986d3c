/**
 * How a workflow ends a job: the job item moves to done with its result and
 * its children's, the activity log gets its entries, and the alert topic
 * gets a job_<result> alert. A job the operator canceled meanwhile stays
 * canceled; a scheduled job stays ready for its next run.
 */
import { randomUUID } from 'node:crypto';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { ActivityEntry } from '../../core/activity.js';
import { type Alert, alertKindOfJob } from '../../core/alert.js';
import { clients } from '../../core/aws-clients.js';
import { ENV } from '../../core/environment.js';
import type { ChildJob, Job } from '../../core/job.js';
import type { JobResult } from '../../core/workflow-input.js';
import { appendActivity } from '../repositories/activity.js';
import { getJob, moveJob } from '../repositories/jobs.js';
import { logger } from '../shared/powertools.js';
import { statusAfterRun } from './scheduled-run.js';

export interface JobEnd {
  jobId: string;
  result: JobResult;
  /** The outcome of each child, by scenario id. */
  children: Map<string, Pick<ChildJob, 'result' | 'error'>>;
  /** The error of a child that has no entry in `children` (a restore's one scenario). */
  error?: ChildJob['error'];
  activity: Omit<ActivityEntry, 'jobId'>[];
  alertText: string;
}

export async function recordJobEnd(end: JobEnd): Promise<Job | undefined> {
  const job = await getJob(end.jobId);
  const endedAt = new Date().toISOString();
  let stored = job;
  if (job && job.status !== 'done') {
    const status = statusAfterRun(job);
    stored = await moveJob(job, status, {
      result: end.result,
      endedAt,
      scenarios: job.scenarios.map((child) => ({
        ...child,
        // A run that ends moves its children with the job (done, or ready for the next run).
        ...(job.status === 'active' ? { status } : {}),
        ...(end.children.get(child.scenarioId) ?? {
          result: end.result,
          ...(end.error ? { error: end.error } : {}),
        }),
      })),
    });
  }
  await appendActivity(end.activity.map((entry) => ({ ...entry, jobId: end.jobId })));
  await publishJobAlert(end.jobId, end.result, end.alertText);
  return stored;
}

export async function publishJobAlert(jobId: string, result: JobResult, text: string): Promise<void> {
  const topicArn = process.env[ENV.alertsTopicArn];
  if (!topicArn) {
    logger.warn('no alert topic configured; job alert not sent', { jobId });
    return;
  }
  const alert: Alert = {
    id: randomUUID(),
    kind: alertKindOfJob(result),
    at: new Date().toISOString(),
    text: text.slice(0, 4000),
    jobId,
  };
  await clients.sns().send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: `Tidemark job ${result}: ${jobId}`.slice(0, 100),
      Message: JSON.stringify(alert),
      MessageAttributes: { kind: { DataType: 'String', StringValue: alert.kind } },
    }),
  );
}

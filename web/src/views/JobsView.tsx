/**
 * The job queue: status and result, each scenario's outcome with its error
 * code, and hold/release/cancel (offered where they can apply; the API has
 * the last word and its refusal is shown beside the button).
 */
import { useApi } from '../api/api-context.js';
import type { JobPage } from '../api/types.js';
import { ActionButton } from '../components/ActionButton.js';
import { ChildOutcomes } from '../components/ChildOutcomes.js';
import { DataTable } from '../components/DataTable.js';
import { Section } from '../components/Section.js';
import { formatTime, jobStatusText } from '../format.js';
import { hashOf } from '../route.js';
import { usePoll } from '../use-poll.js';
import { BackupForm } from './BackupForm.js';

const HEAD = ['job', 'kind', 'status', 'scenarios', 'schedule', 'created', 'ended', ''];

export function JobsView() {
  const { api } = useApi();
  const jobs = usePoll((client) => client.get<JobPage>('/jobs', { limit: 200 }), 'jobs');
  const post = (jobId: string, action: string) => () =>
    api.post(`/jobs/${encodeURIComponent(jobId)}/${action}`);
  return (
    <Section title="Jobs" error={jobs.error} loading={jobs.loading} more={jobs.data?.next !== undefined}>
      <BackupForm onSubmitted={jobs.reload} />
      <DataTable head={HEAD}>
        {jobs.data?.jobs.map((job) => (
          <tr key={job.id} className={job.result ? `result-${job.result}` : undefined}>
            <td>
              <a href={hashOf({ name: 'activity', jobId: job.id })}>{job.name ?? job.id}</a>
            </td>
            <td>{job.kind}</td>
            <td>{jobStatusText(job)}</td>
            <td>
              <ChildOutcomes job={job} />
            </td>
            <td>
              {job.schedule ? ('cron' in job.schedule ? job.schedule.cron : job.schedule.rate) : 'once'}
            </td>
            <td>{formatTime(job.createdAt)}</td>
            <td>{formatTime(job.endedAt)}</td>
            <td className="buttons">
              {job.schedule && job.status !== 'done' && (
                <>
                  <ActionButton label="Hold" action={post(job.id, 'hold')} onDone={jobs.reload} />
                  <ActionButton label="Release" action={post(job.id, 'release')} onDone={jobs.reload} />
                </>
              )}
              {job.status !== 'done' && (
                <ActionButton
                  label="Cancel"
                  confirm={`Cancel job ${job.name ?? job.id}?`}
                  action={post(job.id, 'cancel')}
                  onDone={jobs.reload}
                />
              )}
            </td>
          </tr>
        ))}
      </DataTable>
      {jobs.data?.jobs.length === 0 && <p className="muted">The queue is empty.</p>}
    </Section>
  );
}

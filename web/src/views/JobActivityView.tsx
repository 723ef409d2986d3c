/** One job: its status and each scenario's outcome, then its activity log in time order. */
import type { ActivityPage, Job } from '../api/types.js';
import { ChildOutcomes } from '../components/ChildOutcomes.js';
import { DataTable } from '../components/DataTable.js';
import { Section } from '../components/Section.js';
import { formatTime, jobStatusText } from '../format.js';
import { usePoll } from '../use-poll.js';

const HEAD = ['time', 'severity', 'code', 'session', 'message'];

export function JobActivityView(props: { jobId: string }) {
  const path = `/jobs/${encodeURIComponent(props.jobId)}`;
  const job = usePoll((api) => api.get<Job>(path), path);
  const activity = usePoll(
    (api) => api.get<ActivityPage>(`${path}/activity`, { limit: 500 }),
    `${path}/activity`,
  );
  return (
    <>
      <Section title={`Job ${job.data?.name ?? props.jobId}`} error={job.error} loading={job.loading}>
        {job.data && (
          <dl className="facts">
            <dt>kind</dt>
            <dd>{job.data.kind}</dd>
            <dt>status</dt>
            <dd>{jobStatusText(job.data)}</dd>
            <dt>started</dt>
            <dd>{formatTime(job.data.startedAt)}</dd>
            <dt>ended</dt>
            <dd>{formatTime(job.data.endedAt)}</dd>
            <dt>submitted by</dt>
            <dd>{job.data.submittedBy}</dd>
            <dt>scenarios</dt>
            <dd>
              <ChildOutcomes job={job.data} />
            </dd>
          </dl>
        )}
      </Section>
      <Section
        title="Activity log"
        error={activity.error}
        loading={activity.loading}
        more={activity.data?.next !== undefined}
      >
        <DataTable head={HEAD}>
          {activity.data?.entries.map((entry, index) => (
            // Entries have no id of their own; time order is stable, so the position is.
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            <tr key={index} className={`severity-${entry.severity}`}>
              <td>{formatTime(entry.time)}</td>
              <td>{entry.severity}</td>
              <td>{entry.code ?? ''}</td>
              <td>{entry.sessionNumber ?? ''}</td>
              <td>{entry.message}</td>
            </tr>
          ))}
        </DataTable>
        {activity.data?.entries.length === 0 && <p className="muted">Nothing logged yet.</p>}
      </Section>
    </>
  );
}

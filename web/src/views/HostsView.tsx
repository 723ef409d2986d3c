/** Enrolled hosts and when each agent was last heard from. */
import type { HostPage } from '../api/types.js';
import { DataTable } from '../components/DataTable.js';
import { Section } from '../components/Section.js';
import { formatAge, formatTime } from '../format.js';
import { usePoll } from '../use-poll.js';

const HEAD = ['name', 'addresses', 'os', 'agent', 'last heartbeat', 'enrolled'];

export function HostsView() {
  const hosts = usePoll((api) => api.get<HostPage>('/hosts', { limit: 500 }), 'hosts');
  const now = Date.now();
  return (
    <Section title="Hosts" error={hosts.error} loading={hosts.loading} more={hosts.data?.next !== undefined}>
      <DataTable head={HEAD}>
        {hosts.data?.hosts.map((host) => (
          <tr key={host.id}>
            <td title={host.id}>{host.name}</td>
            <td>{host.addresses.join(', ') || '—'}</td>
            <td>{host.os ?? '—'}</td>
            <td>{host.agentVersion ?? '—'}</td>
            <td title={formatTime(host.lastHeartbeatAt)}>{formatAge(host.lastHeartbeatAt, now)}</td>
            <td>{formatTime(host.enrolledAt)}</td>
          </tr>
        ))}
      </DataTable>
      {hosts.data?.hosts.length === 0 && <p className="muted">No host is enrolled yet.</p>}
    </Section>
  );
}

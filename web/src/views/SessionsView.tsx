/** Committed sessions, newest first: number, scenario, entity, master paths, size, files and media tier. */
import type { Session, SessionPage } from '../api/types.js';
import { DataTable } from '../components/DataTable.js';
import { Section } from '../components/Section.js';
import { formatBytes, formatPaths, formatTime } from '../format.js';
import { usePoll } from '../use-poll.js';

const SESSION_HEAD = [
  '#',
  'scenario',
  'entity',
  'master',
  'master paths',
  'bytes',
  'files',
  'tier',
  'started',
  'ended',
];

export function SessionsView() {
  const sessions = usePoll((api) => api.get<SessionPage>('/sessions', { limit: 200 }), 'sessions');
  return (
    <Section
      title="Sessions"
      error={sessions.error}
      loading={sessions.loading}
      more={sessions.data?.next !== undefined}
    >
      <SessionTable sessions={sessions.data?.sessions ?? []} />
      {sessions.data?.sessions.length === 0 && <p className="muted">No session is committed yet.</p>}
    </Section>
  );
}

/** Also the restore-by-session list, with a pick button there. */
export function SessionTable(props: { sessions: Session[]; onPick?(session: Session): void }) {
  const head = [...SESSION_HEAD, ...(props.onPick ? [''] : [])];
  return (
    <DataTable head={head}>
      {props.sessions.map((session) => (
        <tr key={session.number}>
          <td>{session.number}</td>
          <td>{session.scenarioName}</td>
          <td>{session.entity}</td>
          <td>{session.masterHost}</td>
          <td title={session.masterPaths.join('\n')}>{formatPaths(session.masterPaths)}</td>
          <td title={`${session.bytes} bytes`}>{formatBytes(session.bytes)}</td>
          <td>{session.files}</td>
          <td>{session.media.tier}</td>
          <td>{formatTime(session.startedAt)}</td>
          <td>{formatTime(session.endedAt)}</td>
          {props.onPick && (
            <td>
              <button type="button" onClick={() => props.onPick?.(session)}>
                Restore…
              </button>
            </td>
          )}
        </tr>
      ))}
    </DataTable>
  );
}

/** Restore by session: the scenario's committed sessions, newest first; pick one to restore whole. */
import type { RestoreSessionsBody } from '../../api/types.js';
import { Section } from '../../components/Section.js';
import { usePoll } from '../../use-poll.js';
import { SessionTable } from '../SessionsView.js';
import type { RestorePick } from './RestorePick.js';

export function BySession(props: { scenario: string; onPick(pick: RestorePick): void }) {
  const sessions = usePoll(
    (api) => api.get<RestoreSessionsBody>('/restore/sessions', { scenario: props.scenario, limit: 200 }),
    `restore-sessions:${props.scenario}`,
  );
  return (
    <Section
      title="By session"
      error={sessions.error}
      loading={sessions.loading}
      more={sessions.data?.next !== undefined}
    >
      <SessionTable
        sessions={sessions.data?.sessions ?? []}
        onPick={(session) =>
          props.onPick({
            scenario: props.scenario,
            sessionId: String(session.number),
            label: `session ${session.number} (${session.entity}), whole`,
          })
        }
      />
      {sessions.data?.sessions.length === 0 && (
        <p className="muted">This scenario has no committed session.</p>
      )}
    </Section>
  );
}

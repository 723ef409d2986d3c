/** Restore by query: a wildcard over file names (or whole paths when it starts with /) across sessions. */
import { type FormEvent, useState } from 'react';
import type { QueryViewBody } from '../../api/types.js';
import { DataTable } from '../../components/DataTable.js';
import { Section } from '../../components/Section.js';
import { usePoll } from '../../use-poll.js';
import { PickButton } from './PickButton.js';
import type { RestorePick } from './RestorePick.js';

export function ByQuery(props: { scenario: string; onPick(pick: RestorePick): void }) {
  const [typed, setTyped] = useState('');
  const [pattern, setPattern] = useState<string>();
  // A query reads every session's name index: run it when asked, not every few seconds.
  const query = usePoll(
    (api) => api.get<QueryViewBody>('/restore/query', { pattern, scenario: props.scenario, limit: 500 }),
    `restore-query:${props.scenario}:${pattern}`,
    { enabled: pattern !== undefined, refresh: false },
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setPattern(typed.trim());
  };
  const result = query.data;
  return (
    <Section title="By query" error={query.error} loading={query.loading}>
      <form className="inline-form" onSubmit={submit}>
        <label>
          pattern{' '}
          <input
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            placeholder="*.docx, report-202?.pdf, /srv/share/*"
            size={40}
            required
          />
        </label>
        <button type="submit">Search</button>
      </form>
      {result && (
        <>
          <p className="muted">
            {result.total} match{result.total === 1 ? '' : 'es'}
            {result.truncated ? ` (first ${result.matches.length} shown)` : ''} in {result.sessionsSearched}{' '}
            sessions, {result.filesSearched} names, {Math.round(result.elapsedMs)} ms
          </p>
          <DataTable head={['session', 'path', '']}>
            {result.matches.map((match) => {
              const base = { scenario: props.scenario, sessionId: String(match.sessionNumber) };
              return (
                <tr key={`${match.sessionNumber}:${match.path}`}>
                  <td>{match.sessionNumber}</td>
                  <td>{match.path}</td>
                  <td className="buttons">
                    <PickButton
                      label="restore…"
                      onPick={props.onPick}
                      pick={{
                        ...base,
                        paths: [match.path],
                        label: `${match.path} from session ${match.sessionNumber}`,
                      }}
                    />
                    <PickButton
                      label={`all matches in #${match.sessionNumber}…`}
                      onPick={props.onPick}
                      pick={{
                        ...base,
                        pattern: result.pattern,
                        label: `every name matching ${result.pattern} in session ${match.sessionNumber}`,
                      }}
                    />
                  </td>
                </tr>
              );
            })}
          </DataTable>
        </>
      )}
    </Section>
  );
}

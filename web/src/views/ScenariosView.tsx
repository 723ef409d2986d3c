/**
 * Scenarios: state, master, replicas, backup mode; run and stop for
 * operators. The API decides whether a move is allowed (409 says why, 403
 * for a viewer) and the button shows its answer: the rules stay in one place
 * and the bundle stays free of zod.
 */
import { useApi } from '../api/api-context.js';
import type { ScenarioPage } from '../api/types.js';
import { ActionButton } from '../components/ActionButton.js';
import { DataTable } from '../components/DataTable.js';
import { Section } from '../components/Section.js';
import { formatAge } from '../format.js';
import { hashOf } from '../route.js';
import { usePoll } from '../use-poll.js';

const HEAD = ['name', 'type', 'state', 'master', 'replicas', 'mode', 'last report', ''];

export function ScenariosView() {
  const { api } = useApi();
  const scenarios = usePoll((client) => client.get<ScenarioPage>('/scenarios', { limit: 500 }), 'scenarios');
  const now = Date.now();
  const segment = encodeURIComponent;
  return (
    <Section
      title="Scenarios"
      error={scenarios.error}
      loading={scenarios.loading}
      more={scenarios.data?.next !== undefined}
    >
      <DataTable head={HEAD}>
        {scenarios.data?.scenarios.map((scenario) => {
          const lastReport = Object.values(scenario.reports)
            .map((report) => report.reportedAt)
            .sort()
            .at(-1);
          return (
            <tr key={scenario.id}>
              <td title={scenario.id}>{scenario.name}</td>
              <td>{scenario.type}</td>
              <td>
                <span className={`state state-${scenario.state}`}>{scenario.state}</span>
              </td>
              <td>{scenario.master}</td>
              <td>{scenario.replicas.map((replica) => `${replica.host}:${replica.directory}`).join(', ')}</td>
              <td>{scenario.options.mode ?? 'none (backups refused, AE0471)'}</td>
              <td>{formatAge(lastReport, now)}</td>
              <td className="buttons">
                <ActionButton
                  label="Run"
                  action={() => api.post(`/scenarios/${segment(scenario.id)}/run`)}
                  onDone={scenarios.reload}
                />
                <ActionButton
                  label="Stop"
                  confirm={`Stop replication of ${scenario.name}?`}
                  action={() => api.post(`/scenarios/${segment(scenario.id)}/stop`)}
                  onDone={scenarios.reload}
                />
                <a href={hashOf({ name: 'events', scenarioId: scenario.id })}>events</a>{' '}
                <a href={hashOf({ name: 'rewind', scenarioId: scenario.id })}>rewind points</a>
              </td>
            </tr>
          );
        })}
      </DataTable>
      {scenarios.data?.scenarios.length === 0 && <p className="muted">No scenario is defined yet.</p>}
    </Section>
  );
}

/** One scenario's events, newest first. */
import type { EventPage, ScenarioView } from '../api/types.js';
import { DataTable } from '../components/DataTable.js';
import { Section } from '../components/Section.js';
import { formatTime } from '../format.js';
import { usePoll } from '../use-poll.js';

const HEAD = ['#', 'time', 'severity', 'event', 'host', 'text'];

export function ScenarioEventsView(props: { scenarioId: string }) {
  const path = `/scenarios/${encodeURIComponent(props.scenarioId)}/events`;
  const events = usePoll((api) => api.get<EventPage>(path, { limit: 200 }), path);
  const scenarioPath = `/scenarios/${encodeURIComponent(props.scenarioId)}`;
  const scenario = usePoll((api) => api.get<ScenarioView>(scenarioPath), scenarioPath);
  return (
    <Section
      title={`Events of ${scenario.data?.name ?? props.scenarioId}`}
      error={events.error}
      loading={events.loading}
      more={events.data?.next !== undefined}
    >
      <DataTable head={HEAD}>
        {events.data?.events.map((event) => (
          <tr key={event.sequence} className={`severity-${event.severity}`}>
            <td>{event.sequence}</td>
            <td>{formatTime(event.time)}</td>
            <td>{event.severity}</td>
            <td>{event.eventId}</td>
            <td>{event.host}</td>
            <td>{event.text}</td>
          </tr>
        ))}
      </DataTable>
      {events.data?.events.length === 0 && <p className="muted">No event yet.</p>}
    </Section>
  );
}

/**
 * One scenario's rewind points (docs/api.md, data rewind): take a bookmark,
 * and rewind the replica to a point after a confirmation. The rewind runs on
 * the replica's agent; the view follows its command until the agent answers
 * and shows what changed.
 */
import { type FormEvent, useState } from 'react';
import { useApi } from '../api/api-context.js';
import type {
  CommandStatusBody,
  RewindOutput,
  RewindPointPage,
  ScenarioView,
  SentCommands,
} from '../api/types.js';
import { ActionButton } from '../components/ActionButton.js';
import { DataTable } from '../components/DataTable.js';
import { ErrorLine } from '../components/ErrorLine.js';
import { Section } from '../components/Section.js';
import { formatTime } from '../format.js';
import { usePoll } from '../use-poll.js';
import { useSubmit } from '../use-submit.js';

const HEAD = ['created', 'event', 'label', 'replica', ''];

export function RewindView(props: { scenarioId: string }) {
  const { api } = useApi();
  const scenarioPath = `/scenarios/${encodeURIComponent(props.scenarioId)}`;
  const scenario = usePoll((client) => client.get<ScenarioView>(scenarioPath), scenarioPath);
  const points = usePoll(
    (client) => client.get<RewindPointPage>(`${scenarioPath}/rewind-points`),
    `${scenarioPath}/rewind`,
  );
  const [rewinding, setRewinding] = useState<{ commandId: string; pointId: string }>();
  const name = scenario.data?.name ?? props.scenarioId;

  const rewind = async (pointId: string) => {
    const sent = await api.post<SentCommands>(`${scenarioPath}/rewind`, { point: pointId });
    const command = sent.commands.find((c) => c.kind === 'rewind');
    if (command) setRewinding({ commandId: command.id, pointId });
  };

  return (
    <Section title={`Rewind points of ${name}`} error={points.error} loading={points.loading}>
      <BookmarkForm path={`${scenarioPath}/rewind-points`} onDone={points.reload} />
      {rewinding && <RewindProgress scenarioPath={scenarioPath} commandId={rewinding.commandId} />}
      <DataTable head={HEAD}>
        {[...(points.data?.points ?? [])].reverse().map((point) => (
          <tr key={point.id}>
            <td title={point.id}>{formatTime(point.createdAt)}</td>
            <td>{point.event}</td>
            <td>{point.label ?? ''}</td>
            <td>{point.host}</td>
            <td className="buttons">
              <ActionButton
                label="Rewind…"
                confirm={`Stop ${name} and roll the replica ${point.host} back to ${formatTime(point.createdAt)}? Every change the replica applied after it is undone; run the scenario again afterwards to resynchronize.`}
                action={() => rewind(point.id)}
                onDone={points.reload}
              />
            </td>
          </tr>
        ))}
      </DataTable>
      {points.data?.points.length === 0 && (
        <p className="muted">
          No rewind point yet: the replica takes one every few minutes, at each backup, and on a bookmark.
        </p>
      )}
    </Section>
  );
}

function BookmarkForm(props: { path: string; onDone(): void }) {
  const { api } = useApi();
  const { busy, error, run } = useSubmit();
  const [label, setLabel] = useState('');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await run(() => api.post(props.path, { label }))) {
      setLabel('');
      // The replica takes it within a moment; the list catches up on its next poll.
      props.onDone();
    }
  };
  return (
    <form className="bookmark-form" onSubmit={submit}>
      <label>
        bookmark label{' '}
        <input value={label} required maxLength={200} onChange={(e) => setLabel(e.target.value)} />
      </label>
      <button type="submit" disabled={busy || label === ''}>
        Take bookmark
      </button>
      <ErrorLine error={error} />
    </form>
  );
}

function RewindProgress(props: { scenarioPath: string; commandId: string }) {
  const path = `${props.scenarioPath}/commands/${encodeURIComponent(props.commandId)}`;
  const command = usePoll((client) => client.get<CommandStatusBody>(path), path);
  const status = command.data?.status;
  if (status === 'succeeded') {
    const report = command.data?.output as RewindOutput | undefined;
    return (
      <p className="rewind-result">
        Rewound: {report?.entriesUndone ?? 0} changes undone on {report?.pathsChanged ?? 0} paths. The
        scenario is stopped; run it to resynchronize the replica from the master.
        {report?.warnings?.map((warning) => (
          <span key={warning} className="warning">
            {' '}
            Warning: {warning}
          </span>
        ))}
      </p>
    );
  }
  if (status === 'failed')
    return (
      <p className="error rewind-result">
        Rewind failed: {command.data?.error?.code} {command.data?.error?.message}
      </p>
    );
  return <p className="muted rewind-result">Rewinding on the replica… ({status ?? 'sent'})</p>;
}

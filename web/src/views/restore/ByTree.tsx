/** Restore by tree: browse the master's paths as backed up, pick a recovery point, restore a file or folder. */
import { type FormEvent, useState } from 'react';
import type { TreeViewBody } from '../../api/types.js';
import { Section } from '../../components/Section.js';
import { formatTime, parentPath } from '../../format.js';
import { usePoll } from '../../use-poll.js';
import { PickButton } from './PickButton.js';
import type { RestorePick } from './RestorePick.js';

export function ByTree(props: { scenario: string; onPick(pick: RestorePick): void }) {
  const [path, setPath] = useState('/');
  const [typed, setTyped] = useState('/');
  // undefined: the newest recovery point that holds the path.
  const [session, setSession] = useState<number | undefined>();
  const tree = usePoll(
    (api) => api.get<TreeViewBody>('/restore/tree', { scenario: props.scenario, path, session }),
    `restore-tree:${props.scenario}:${path}:${session ?? 'newest'}`,
  );
  const go = (next: string) => {
    setPath(next);
    setTyped(next);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    go(typed.trim() || '/');
  };
  const view = tree.data;
  return (
    <Section title="By tree" error={tree.error} loading={tree.loading}>
      <form className="inline-form" onSubmit={submit}>
        <label>
          path <input value={typed} onChange={(event) => setTyped(event.target.value)} size={48} />
        </label>
        <button type="submit">Browse</button>
        <button type="button" disabled={path === '/'} onClick={() => go(parentPath(path))}>
          Up
        </button>
        <label>
          recovery point{' '}
          <select
            value={session ?? ''}
            onChange={(event) => setSession(event.target.value ? Number(event.target.value) : undefined)}
          >
            <option value="">newest</option>
            {view?.recoveryPoints.map((point) => (
              <option key={point.number} value={point.number}>
                #{point.number} {point.entity} {formatTime(point.endedAt ?? point.startedAt)} {point.tier}
                {point.applicationConsistent ? '' : ' (crash-consistent)'}
              </option>
            ))}
          </select>
        </label>
      </form>
      {view && (
        <>
          <p>
            <strong>{view.path}</strong> ({view.type}) in session #{view.session}{' '}
            <PickButton
              label={`Restore this ${view.type}…`}
              onPick={props.onPick}
              pick={{
                scenario: props.scenario,
                sessionId: String(view.session),
                paths: [view.path],
                label: `${view.path} from session ${view.session}`,
              }}
            />
          </p>
          <ul className="tree">
            {view.entries.map((entry) => (
              <li key={entry.path}>
                {entry.type === 'directory' ? (
                  <button type="button" className="link" onClick={() => go(entry.path)}>
                    {entry.name}/
                  </button>
                ) : (
                  <span>{entry.name}</span>
                )}{' '}
                <PickButton
                  label="restore…"
                  onPick={props.onPick}
                  pick={{
                    scenario: props.scenario,
                    sessionId: String(view.session),
                    paths: [entry.path],
                    label: `${entry.path} from session ${view.session}`,
                  }}
                />
              </li>
            ))}
          </ul>
        </>
      )}
    </Section>
  );
}

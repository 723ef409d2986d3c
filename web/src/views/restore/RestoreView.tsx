/** The restore views of one scenario (by session, by tree, by query) and the form that submits a restore job. */
import { useState } from 'react';
import type { ScenarioPage } from '../../api/types.js';
import { Section } from '../../components/Section.js';
import { usePoll } from '../../use-poll.js';
import { ByQuery } from './ByQuery.js';
import { BySession } from './BySession.js';
import { ByTree } from './ByTree.js';
import { RestoreForm } from './RestoreForm.js';
import type { RestorePick } from './RestorePick.js';

const MODES = { session: 'By session', tree: 'By tree', query: 'By query' } as const;
type Mode = keyof typeof MODES;

export function RestoreView() {
  const scenarios = usePoll((api) => api.get<ScenarioPage>('/scenarios', { limit: 500 }), 'scenarios');
  const [scenario, setScenario] = useState('');
  const [mode, setMode] = useState<Mode>('session');
  const [pick, setPick] = useState<RestorePick>();
  return (
    <Section title="Restore" error={scenarios.error}>
      <div className="inline-form">
        <label>
          scenario{' '}
          <select
            value={scenario}
            onChange={(event) => {
              setScenario(event.target.value);
              setPick(undefined);
            }}
          >
            <option value="">choose…</option>
            {scenarios.data?.scenarios.map((item) => (
              <option key={item.id} value={item.id}>
                {item.name}
              </option>
            ))}
          </select>
        </label>
        <nav className="tabs">
          {(Object.keys(MODES) as Mode[]).map((name) => (
            <button
              key={name}
              type="button"
              className={name === mode ? 'active' : undefined}
              onClick={() => setMode(name)}
            >
              {MODES[name]}
            </button>
          ))}
        </nav>
      </div>
      {pick && (
        <RestoreForm key={`${pick.sessionId}:${pick.label}`} pick={pick} onClose={() => setPick(undefined)} />
      )}
      {scenario && mode === 'session' && <BySession scenario={scenario} onPick={setPick} />}
      {scenario && mode === 'tree' && <ByTree key={scenario} scenario={scenario} onPick={setPick} />}
      {scenario && mode === 'query' && <ByQuery key={scenario} scenario={scenario} onPick={setPick} />}
    </Section>
  );
}

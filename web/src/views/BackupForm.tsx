/** Submit a backup of one scenario: now, or on a cron or rate schedule. */
import { type FormEvent, useState } from 'react';
import { useApi } from '../api/api-context.js';
import type { Job, ScenarioPage } from '../api/types.js';
import { ErrorLine } from '../components/ErrorLine.js';
import { usePoll } from '../use-poll.js';
import { useSubmit } from '../use-submit.js';

export function BackupForm(props: { onSubmitted(job: Job): void }) {
  const { api } = useApi();
  const scenarios = usePoll((client) => client.get<ScenarioPage>('/scenarios', { limit: 500 }), 'scenarios');
  const [scenario, setScenario] = useState('');
  const [schedule, setSchedule] = useState('');
  const { busy, error, run } = useSubmit();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const expression = schedule.trim();
    const body = {
      kind: 'backup',
      scenarios: [scenario],
      ...(expression
        ? { schedule: expression.startsWith('rate(') ? { rate: expression } : { cron: expression } }
        : {}),
    };
    const submitted = await run(async () => props.onSubmitted(await api.post<Job>('/jobs', body)));
    if (submitted) setSchedule('');
  };

  return (
    <form className="inline-form" onSubmit={submit}>
      <label>
        Back up scenario{' '}
        <select value={scenario} onChange={(event) => setScenario(event.target.value)} required>
          <option value="">choose…</option>
          {scenarios.data?.scenarios.map((item) => (
            <option key={item.id} value={item.id}>
              {item.name} ({item.state})
            </option>
          ))}
        </select>
      </label>
      <label>
        schedule{' '}
        <input
          value={schedule}
          onChange={(event) => setSchedule(event.target.value)}
          placeholder="now, or cron(0 2 * * ? *) / rate(6 hours)"
          size={32}
        />
      </label>
      <button type="submit" disabled={busy || !scenario}>
        Submit backup
      </button>
      <ErrorLine error={error} />
    </form>
  );
}

/** Submit a restore job for what was picked: to an alternate folder (default), the original location or the replica. */
import { type FormEvent, useState } from 'react';
import { useApi } from '../../api/api-context.js';
import type { Job } from '../../api/types.js';
import { ErrorLine } from '../../components/ErrorLine.js';
import { type RestorePlacement, restoreJobRequest } from '../../restore-request.js';
import { hashOf } from '../../route.js';
import { useSubmit } from '../../use-submit.js';
import type { RestorePick } from './RestorePick.js';

export function RestoreForm(props: { pick: RestorePick; onClose(): void }) {
  const { api } = useApi();
  const [placement, setPlacement] = useState<RestorePlacement>({
    to: 'alternate',
    destination: '',
    host: '',
    tier: 'standard',
    continueRestoreIfCannotStop: false,
  });
  const { busy, error, run } = useSubmit();
  const [job, setJob] = useState<Job>();
  const set = (change: Partial<RestorePlacement>) => setPlacement((old) => ({ ...old, ...change }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => setJob(await api.post<Job>('/jobs', restoreJobRequest(props.pick, placement))));
  };

  return (
    <form className="restore-form" onSubmit={submit}>
      <h3>Restore {props.pick.label}</h3>
      <label>
        to{' '}
        <select
          value={placement.to}
          onChange={(event) => set({ to: event.target.value as RestorePlacement['to'] })}
        >
          <option value="alternate">a folder on a host (alternate location)</option>
          <option value="original">the original location on the master (stops replication)</option>
          <option value="replica">the replica (then it resynchronizes)</option>
        </select>
      </label>
      {placement.to === 'alternate' && (
        <>
          <label>
            folder{' '}
            <input
              value={placement.destination}
              onChange={(event) => set({ destination: event.target.value })}
              placeholder="/restore/here"
              required
            />
          </label>
          <label>
            host{' '}
            <input
              value={placement.host}
              onChange={(event) => set({ host: event.target.value })}
              placeholder="the master"
            />
          </label>
        </>
      )}
      {placement.to === 'original' && (
        <label>
          <input
            type="checkbox"
            checked={placement.continueRestoreIfCannotStop}
            onChange={(event) => set({ continueRestoreIfCannotStop: event.target.checked })}
          />{' '}
          restore even if the scenario cannot be stopped (else AE0464)
        </label>
      )}
      <label>
        Glacier retrieval{' '}
        <select
          value={placement.tier}
          onChange={(event) => set({ tier: event.target.value as RestorePlacement['tier'] })}
        >
          <option value="expedited">expedited</option>
          <option value="standard">standard</option>
          <option value="bulk">bulk</option>
        </select>
      </label>
      <div className="buttons">
        <button type="submit" disabled={busy}>
          Submit restore job
        </button>
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
      <ErrorLine error={error} />
      {job && (
        <p>
          Submitted: <a href={hashOf({ name: 'activity', jobId: job.id })}>job {job.id}</a> ({job.status})
        </p>
      )}
    </form>
  );
}

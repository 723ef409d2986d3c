/**
 * Last step of the restore workflow: the result (failed with the first
 * error's code, AE0464 when the scenario could not be stopped; completed
 * otherwise, with AE0464 as a warning when the job went on regardless), the
 * activity log, the job item and the alert.
 */
import { z } from 'zod';
import type { ActivityEntry } from '../../core/activity.js';
import { RestoreOutput } from '../../core/agent-commands.js';
import { renderError } from '../../core/error-catalogue.js';
import type { JobResult, StepError } from '../../core/workflow-input.js';
import { stepHandler } from '../shared/step-handler.js';
import { recordJobEnd } from './job-report.js';
import { ResolvedRestore } from './resolve-restore.js';
import { CaughtError, stepErrorOf } from './step-failure.js';

const Input = z.object({
  startedAt: z.string(),
  state: z.object({
    jobId: z.string(),
    resolved: ResolvedRestore.optional(),
    error: CaughtError.optional(),
    stopError: CaughtError.optional(),
    restoreResult: z.unknown().optional(),
    restarted: z.object({ restarted: z.boolean() }).passthrough().optional(),
    restartError: CaughtError.optional(),
  }),
});

type Entry = Omit<ActivityEntry, 'jobId'>;

export const handler = stepHandler(Input, async ({ startedAt, state }) => {
  const { jobId, resolved } = state;
  const label = { scenario: resolved?.scenarioName, scenarioId: undefined };
  const endedAt = new Date().toISOString();
  const entries: Entry[] = [
    {
      time: startedAt,
      severity: 'info',
      message: resolved
        ? `Restore job ${jobId} started: session ${resolved.sessionNumber} by ${resolved.selection} to the ${resolved.to} location`
        : `Restore job ${jobId} started`,
    },
  ];
  let error: StepError | undefined;
  const stopFailure = state.stopError
    ? {
        code: 'AE0464',
        message: `${renderError('AE0464', label).message} ${stepErrorOf(state.stopError, label).message}`,
      }
    : undefined;
  if (state.error) error = stepErrorOf(state.error, label);
  else if (stopFailure && !state.restoreResult) error = stopFailure;
  else if (stopFailure) entries.push({ time: endedAt, severity: 'warning', ...stopFailure });

  const restored = RestoreOutput.safeParse(state.restoreResult);
  if (!error && state.restoreResult !== undefined && !restored.success) {
    error = { code: 'AE0472', message: 'the restore step reported an unreadable result' };
  }
  if (error) entries.push({ time: endedAt, severity: 'error', ...error });
  if (state.restartError) {
    const restart = stepErrorOf(state.restartError, label);
    entries.push({
      time: endedAt,
      severity: 'warning',
      code: restart.code,
      message: `the scenario was not restarted: ${restart.message}`,
    });
  }
  const result: JobResult = error ? 'failed' : 'completed';
  const done = restored.success ? restored.data : undefined;
  const summary =
    `Restore job ${jobId} ended ${result}` +
    (done
      ? `: ${done.files} files, ${done.bytes} bytes${done.tmpFiles.length ? `, ${done.tmpFiles.length} written as .TMP` : ''}`
      : '') +
    (state.restarted?.restarted ? '; the scenario was restarted' : '') +
    (error ? `; error ${error.code}` : '') +
    '.';
  entries.push({ time: endedAt, severity: error ? 'error' : 'info', message: summary });
  await recordJobEnd({ jobId, result, children: new Map(), error, activity: entries, alertText: summary });
  return { jobId, result, ...(error ? { error } : {}) };
});

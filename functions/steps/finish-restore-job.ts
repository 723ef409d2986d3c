/**
 * Last step of the restore workflow: the result (failed with the first
 * error's code, AE0464 when the scenario could not be stopped; completed
 * otherwise, with AE0464 as a warning when the job went on regardless), the
 * activity log (with the flow back of a restore into the replica, and why a
 * scenario was left stopped), the job item and the alert.
 */
import { z } from 'zod';
import type { ActivityEntry } from '../../core/activity.js';
import { RestoreOutput } from '../../core/agent-commands.js';
import { renderError } from '../../core/error-catalogue.js';
import type { JobResult, StepError } from '../../core/workflow-input.js';
import { releaseLock } from '../repositories/locks.js';
import { logger } from '../shared/powertools.js';
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
    flowBackResult: z.unknown().optional(),
    restarted: z.object({ restarted: z.boolean(), reason: z.string().optional() }).passthrough().optional(),
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
  const flowedBack = RestoreOutput.safeParse(state.flowBackResult);
  if (!error && state.flowBackResult !== undefined && !flowedBack.success) {
    error = { code: 'AE0472', message: 'the restore on the master reported an unreadable result' };
  }
  if (flowedBack.success) {
    entries.push({
      time: endedAt,
      severity: 'info',
      message: `The restore into the replica flowed back to the master: ${flowedBack.data.files} files, ${flowedBack.data.bytes} bytes written at their original paths`,
    });
  }
  if (error) entries.push({ time: endedAt, severity: 'error', ...error });
  if (state.restarted && !state.restarted.restarted && state.restarted.reason && resolved?.to === 'replica') {
    entries.push({
      time: endedAt,
      severity: 'warning',
      message: `The scenario was left stopped: ${state.restarted.reason}; start it once the master holds the data it should replicate.`,
    });
  }
  if (state.restartError) {
    const restart = stepErrorOf(state.restartError, label);
    entries.push({
      time: endedAt,
      severity: 'warning',
      code: restart.code,
      message: `the scenario was not restarted: ${restart.message}`,
    });
  }
  if (resolved) {
    // ResolveRestore took the scenario lock once it succeeded; a failed release frees itself at the lease's end.
    await releaseLock(resolved.scenarioId, jobId).catch((e: unknown) => {
      logger.warn('lock release failed', { scenarioId: resolved.scenarioId, error: String(e) });
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

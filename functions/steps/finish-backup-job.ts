/**
 * Last step of the backup workflow: the job's result from its scenarios'
 * outcomes, written to the job, its activity log (start and end, the
 * assured-recovery report, sessions, files and directories, average
 * throughput, every error and warning with its code) and the alert topic.
 */
import { z } from 'zod';
import type { ActivityEntry } from '../../core/activity.js';
import { jobResultOf, ScenarioOutcome } from '../../core/workflow-input.js';
import { stepHandler } from '../shared/step-handler.js';
import { recordJobEnd } from './job-report.js';

const Input = z.object({ jobId: z.string(), startedAt: z.string(), outcomes: z.array(ScenarioOutcome) });

type Entry = Omit<ActivityEntry, 'jobId'>;

function scenarioEntries(outcome: ScenarioOutcome, time: string): Entry[] {
  const name = `Scenario ${outcome.scenarioName ?? outcome.scenarioId}`;
  // The AR report of a check that passed (a failed one is the AE0457 error below, report included).
  const ar = outcome.assuredRecovery;
  const report: Entry[] = ar?.passed
    ? [
        {
          time,
          severity: 'info',
          message: `${name}: assured recovery passed: ${ar.report.join('; ')}`.slice(0, 4000),
        },
      ]
    : [];
  const sessionEntries: Entry[] = (outcome.sessions ?? []).map((number) => ({
    time,
    severity: 'info',
    message: `${name}: session ${number} committed`,
    sessionNumber: number,
  }));
  const entries = [...report, ...sessionEntries];
  if (outcome.error) {
    entries.push({ time, severity: 'error', code: outcome.error.code, message: outcome.error.message });
  }
  for (const warning of outcome.warnings ?? []) {
    entries.push({ time, severity: 'warning', code: warning.code, message: warning.message });
  }
  return entries;
}

export function throughputOf(bytes: number, milliseconds: number): string {
  if (bytes === 0 || milliseconds <= 0) return '0 B/s';
  const perSecond = (bytes * 1000) / milliseconds;
  const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
  let value = perSecond;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export const handler = stepHandler(Input, async ({ jobId, startedAt, outcomes }) => {
  const result = jobResultOf(outcomes);
  const endedAt = new Date().toISOString();
  const sum = (pick: (o: ScenarioOutcome) => number | undefined) =>
    outcomes.reduce((total, outcome) => total + (pick(outcome) ?? 0), 0);
  const sessions = outcomes.flatMap((outcome) => outcome.sessions ?? []);
  const bytes = sum((o) => o.bytes);
  const failures = outcomes.filter((o) => o.error).map((o) => `${o.error?.code} (${o.scenarioName})`);
  const warnings = outcomes.flatMap((o) => (o.warnings ?? []).map((w) => `${w.code} (${o.scenarioName})`));
  const summary =
    `Backup job ${jobId} ended ${result}: ${outcomes.length} scenario(s), ${sessions.length} session(s)` +
    `${sessions.length ? ` (${sessions.join(', ')})` : ''}, ${sum((o) => o.files)} files, ` +
    `${sum((o) => o.directories)} directories, ${bytes} bytes, average throughput ` +
    `${throughputOf(bytes, Date.parse(endedAt) - Date.parse(startedAt))}` +
    `${failures.length ? `; errors: ${failures.join(', ')}` : ''}` +
    `${warnings.length ? `; warnings: ${warnings.join(', ')}` : ''}.`;
  const activity: Entry[] = [
    {
      time: startedAt,
      severity: 'info',
      message: `Backup job ${jobId} started: ${outcomes.length} scenario(s)`,
    },
    ...outcomes.flatMap((outcome) => scenarioEntries(outcome, endedAt)),
    {
      time: endedAt,
      severity: result === 'completed' ? 'info' : result === 'incomplete' ? 'warning' : 'error',
      message: summary,
    },
  ];
  await recordJobEnd({
    jobId,
    result,
    children: new Map(
      outcomes.map((o) => [o.scenarioId, { result: o.status, ...(o.error ? { error: o.error } : {}) }]),
    ),
    activity,
    alertText: summary,
  });
  return { jobId, result, scenarios: outcomes };
});

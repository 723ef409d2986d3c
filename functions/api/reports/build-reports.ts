/**
 * Reports as pure functions of what the catalog holds: the hosts' latest
 * statistics on the scenario (written by the agents' status route), its
 * events, a job's sessions and activity. Handlers only load and call these.
 */
import type { z } from 'zod';
import type { ActivityEntry } from '../../../core/activity.js';
import type { ScenarioEventRecord } from '../../../core/event.js';
import type { Job } from '../../../core/job.js';
import type { HostStatusRecord, ScenarioView } from '../../../core/scenario-status.js';
import type { Session } from '../../../core/session.js';
import type {
  DifferenceReport,
  JobReport,
  ReplicationReport,
  ScenarioReport,
  SynchronizationReport,
} from './schemas.js';

function reportsOf(scenario: ScenarioView) {
  return Object.values(scenario.reports)
    .map((record) => ({ ...record, role: roleOf(scenario, record) }))
    .sort((a, b) => (a.role === b.role ? a.host.localeCompare(b.host) : a.role === 'master' ? -1 : 1));
}

function roleOf(scenario: ScenarioView, record: HostStatusRecord): 'master' | 'replica' {
  return record.host === scenario.master ? 'master' : 'replica';
}

const heading = (scenario: ScenarioView) => ({
  scenarioId: scenario.id,
  name: scenario.name,
  state: scenario.state,
});

export function scenarioReport(scenario: ScenarioView): z.infer<typeof ScenarioReport> {
  return {
    ...heading(scenario),
    hosts: reportsOf(scenario).map(({ host, role, reportedAt, statistics }) => ({
      host,
      role,
      reportedAt,
      statistics,
    })),
  };
}

export function replicationReport(
  scenario: ScenarioView,
  events: readonly ScenarioEventRecord[],
): z.infer<typeof ReplicationReport> {
  const master = reportsOf(scenario).find((report) => report.role === 'master');
  const roots = (master?.statistics.roots ?? []).map(
    ({ root, created, changed, removed, renamed, bytesSent }) => ({
      root,
      created,
      changed,
      removed,
      renamed,
      bytesSent,
    }),
  );
  const totals = { created: 0, changed: 0, removed: 0, renamed: 0, bytesSent: 0 };
  for (const root of roots) {
    for (const key of Object.keys(totals) as Array<keyof typeof totals>) totals[key] += root[key];
  }
  return {
    ...heading(scenario),
    totals,
    roots,
    errors: events.filter((event) => event.severity === 'error').length,
    reportedAt: master?.reportedAt,
  };
}

export function synchronizationReport(scenario: ScenarioView): z.infer<typeof SynchronizationReport> {
  return {
    ...heading(scenario),
    hosts: reportsOf(scenario).flatMap(({ host, role, reportedAt, statistics }) =>
      statistics.lastSync ? [{ host, role, reportedAt, ...statistics.lastSync }] : [],
    ),
  };
}

export function differenceReport(scenario: ScenarioView): z.infer<typeof DifferenceReport> {
  const master = reportsOf(scenario).find((report) => report.role === 'master');
  return {
    ...heading(scenario),
    suspended: scenario.state === 'suspended',
    pendingBytes: master?.statistics.spoolBytes ?? 0,
    spoolThresholdPercent: master?.statistics.spoolThresholdPercent ?? 0,
    reportedAt: master?.reportedAt,
  };
}

export function jobReport(
  job: Job,
  sessions: readonly Session[],
  activity: readonly ActivityEntry[],
): z.infer<typeof JobReport> {
  let bytes = 0;
  let files = 0;
  let directories = 0;
  let endedBytes = 0;
  let seconds = 0;
  for (const session of sessions) {
    bytes += session.bytes;
    files += session.files;
    directories += session.directories;
    if (session.endedAt) {
      endedBytes += session.bytes;
      seconds += Math.max(0.001, (Date.parse(session.endedAt) - Date.parse(session.startedAt)) / 1000);
    }
  }
  return {
    jobId: job.id,
    kind: job.kind,
    status: job.status,
    result: job.result,
    startedAt: job.startedAt,
    endedAt: job.endedAt,
    sessions: sessions.map((s) => ({
      number: s.number,
      scenarioId: s.scenarioId,
      entity: s.entity,
      committed: s.committed,
      bytes: s.bytes,
      files: s.files,
    })),
    bytes,
    files,
    directories,
    throughputBytesPerSecond: seconds > 0 ? Math.round(endedBytes / seconds) : undefined,
    errors: activity.filter((entry) => entry.severity === 'error').length,
    warnings: activity.filter((entry) => entry.severity === 'warning').length,
  };
}

/**
 * What agents report about a scenario: its replication state and statistics
 * (the zod mirror of `ScenarioStatistics` in agent/scenario-runtime.ts,
 * which core cannot import), and the entities discovery found. The catalog
 * keeps the latest report of each participating host on the scenario.
 */
import { z } from 'zod';
import { HostName } from './host.js';
import { Entity, Scenario, type ScenarioState } from './scenario.js';

export const RootStatistics = z.strictObject({
  root: z.string().min(1).max(4096),
  created: z.number().int().min(0),
  changed: z.number().int().min(0),
  removed: z.number().int().min(0),
  renamed: z.number().int().min(0),
  bytesSent: z.number().int().min(0),
});

export const ReportedState = z.enum(['stopped', 'synchronizing', 'replicating', 'suspended', 'problem']);

export const ScenarioStatistics = z.strictObject({
  scenarioId: z.string().min(1).max(100),
  state: ReportedState,
  roots: z.array(RootStatistics).max(64),
  spoolBytes: z.number().int().min(0),
  spoolThresholdPercent: z.number().min(0),
  lastSync: z
    .strictObject({
      filesCompared: z.number().int().min(0),
      bytesCompared: z.number().int().min(0),
      bytesSent: z.number().int().min(0),
      durationMs: z.number().min(0),
    })
    .optional(),
});
export type ScenarioStatistics = z.infer<typeof ScenarioStatistics>;

/** The body of POST /agent/scenarios/{scenarioId}/status. */
export const ScenarioStatusReport = z.strictObject({
  statistics: ScenarioStatistics,
  /** Present after a discover command: replaces the scenario's entities. */
  entities: z.array(Entity).max(1000).optional(),
});
export type ScenarioStatusReport = z.infer<typeof ScenarioStatusReport>;

/** One host's latest report as the catalog keeps it. */
export const HostStatusRecord = z.object({
  host: HostName,
  reportedAt: z.iso.datetime(),
  statistics: ScenarioStatistics,
});
export type HostStatusRecord = z.infer<typeof HostStatusRecord>;

/** A scenario as the API shows it: the definition plus each host's latest report. */
export const ScenarioView = Scenario.extend({
  reports: z.record(z.string(), HostStatusRecord).default({}),
});
export type ScenarioView = z.infer<typeof ScenarioView>;

/**
 * The scenario state after an agent's report. An operator's stop wins: a
 * report still saying "replicating" that was sent before the agent got the
 * stop command must not bring the scenario back to life.
 */
export function stateAfterReport(
  current: ScenarioState,
  reported: ScenarioStatistics['state'],
): ScenarioState {
  if (current === 'stopped' && reported !== 'stopped') return current;
  return reported;
}

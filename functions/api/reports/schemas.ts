/** Query and response shapes of the report routes (also their OpenAPI doc). */
import { z } from 'zod';
import { ScenarioStatistics } from '../../../core/scenario-status.js';
import { ScenarioQueryRef } from '../sessions/schemas.js';

export const ScenarioReportQuery = z.strictObject({ scenario: ScenarioQueryRef });

const HostFigures = z.object({
  host: z.string(),
  role: z.enum(['master', 'replica']),
  reportedAt: z.string(),
});

export const ScenarioReport = z.object({
  scenarioId: z.string(),
  name: z.string(),
  state: z.string(),
  hosts: z.array(HostFigures.extend({ statistics: ScenarioStatistics })),
});

const Totals = z.object({
  created: z.number(),
  changed: z.number(),
  removed: z.number(),
  renamed: z.number(),
  bytesSent: z.number(),
});

export const ReplicationReport = z.object({
  scenarioId: z.string(),
  name: z.string(),
  state: z.string(),
  /** The master's figures: it is the side that ships changes. */
  totals: Totals,
  roots: z.array(Totals.extend({ root: z.string() })),
  /** Error events among the scenario's latest events. */
  errors: z.number().int(),
  reportedAt: z.string().optional(),
});

export const SynchronizationReport = z.object({
  scenarioId: z.string(),
  name: z.string(),
  state: z.string(),
  hosts: z.array(
    HostFigures.extend({
      filesCompared: z.number(),
      bytesCompared: z.number(),
      bytesSent: z.number(),
      durationMs: z.number(),
    }),
  ),
});

export const DifferenceReport = z.object({
  scenarioId: z.string(),
  name: z.string(),
  state: z.string(),
  suspended: z.boolean(),
  /** Changes the master holds that replicas have not applied yet: its spool. */
  pendingBytes: z.number(),
  spoolThresholdPercent: z.number(),
  reportedAt: z.string().optional(),
});

export const JobReport = z.object({
  jobId: z.string(),
  kind: z.string(),
  status: z.string(),
  result: z.string().optional(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  sessions: z.array(
    z.object({
      number: z.number().int(),
      scenarioId: z.string(),
      entity: z.string(),
      committed: z.boolean(),
      bytes: z.number(),
      files: z.number(),
    }),
  ),
  bytes: z.number(),
  files: z.number(),
  directories: z.number(),
  /** Bytes per second over the sessions' own durations; absent until one has ended. */
  throughputBytesPerSecond: z.number().optional(),
  errors: z.number().int(),
  warnings: z.number().int(),
});

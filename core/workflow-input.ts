/**
 * What the backup and restore state machines are started with, and what
 * each per-scenario branch reports. Later issues grow these (the jobs API
 * starts executions); the shapes are checked by the workflows' first step.
 */
import { z } from 'zod';

export const BackupScenarioItem = z.object({
  scenarioId: z.string().min(1),
  scenarioName: z.string().min(1),
  replicaHostId: z.string().min(1),
  /** The scenario's agentTimeoutSeconds: every agent step waits at most this long (AE0469 after). */
  timeoutSeconds: z.number().int().min(1).max(86_400).default(180),
});

export const BackupJobInput = z.object({
  jobId: z.string().min(1),
  scenarios: z.array(BackupScenarioItem).min(1),
});
export type BackupJobInput = z.infer<typeof BackupJobInput>;

export const ScenarioOutcome = z.object({
  scenarioId: z.string(),
  status: z.enum(['completed', 'failed']),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type ScenarioOutcome = z.infer<typeof ScenarioOutcome>;

export const JobResult = z.enum(['completed', 'incomplete', 'canceled', 'failed']);
export type JobResult = z.infer<typeof JobResult>;

export const RestoreJobInput = z.object({
  jobId: z.string().min(1),
  hostId: z.string().min(1),
  sessionId: z.string().min(1),
  destination: z.string().min(1),
  timeoutSeconds: z.number().int().min(1).max(86_400).default(180),
});
export type RestoreJobInput = z.infer<typeof RestoreJobInput>;

/** completed when every scenario completed, failed when none did, incomplete in between. */
export function jobResultOf(outcomes: readonly ScenarioOutcome[]): JobResult {
  const completed = outcomes.filter((outcome) => outcome.status === 'completed').length;
  if (completed === outcomes.length) return 'completed';
  return completed === 0 ? 'failed' : 'incomplete';
}

/**
 * What the backup and restore state machines are started with, and what
 * each per-scenario branch reports. The jobs API starts executions with
 * these shapes; each workflow's first step parses them (AE0468 otherwise).
 */
import { z } from 'zod';

export const BackupScenarioItem = z.object({
  scenarioId: z.string().min(1),
  scenarioName: z.string().min(1),
  /** The replica the job was planned for; the workflow resolves the hosts again when it starts. */
  replicaHostId: z.string().min(1).optional(),
  /** The scenario's agentTimeoutSeconds at submit; the workflow uses the value it reads when it starts. */
  timeoutSeconds: z.number().int().min(1).max(86_400).default(180),
});

export const BackupJobInput = z.object({
  jobId: z.string().min(1),
  scenarios: z.array(BackupScenarioItem).min(1),
});
export type BackupJobInput = z.infer<typeof BackupJobInput>;

export const StepError = z.object({ code: z.string(), message: z.string() });
export type StepError = z.infer<typeof StepError>;

/** What one scenario of a backup job ended with. */
export const ScenarioOutcome = z.object({
  scenarioId: z.string(),
  scenarioName: z.string().optional(),
  status: z.enum(['completed', 'incomplete', 'failed']),
  error: StepError.optional(),
  /** Warnings that made the scenario incomplete (AE0461). */
  warnings: z.array(StepError).optional(),
  sessions: z.array(z.number().int()).optional(),
  files: z.number().int().min(0).optional(),
  directories: z.number().int().min(0).optional(),
  bytes: z.number().int().min(0).optional(),
  /** Milliseconds the backup step's data transfer took, for the job's average throughput. */
  backupMs: z.number().min(0).optional(),
  /** The assured-recovery report of an AR-mode scenario whose check ran. */
  assuredRecovery: z.object({ passed: z.boolean(), report: z.array(z.string()) }).optional(),
});
export type ScenarioOutcome = z.infer<typeof ScenarioOutcome>;

export const JobResult = z.enum(['completed', 'incomplete', 'canceled', 'failed']);
export type JobResult = z.infer<typeof JobResult>;

/** How fast cold (Glacier) objects come back: S3 RestoreObject tiers. */
export const RetrievalTier = z.enum(['expedited', 'standard', 'bulk']);
export type RetrievalTier = z.infer<typeof RetrievalTier>;

/**
 * The restore workflow reads the job itself (selection, destination, tier);
 * the other fields are what the jobs API planned and are kept for the record.
 */
export const RestoreJobInput = z.object({
  jobId: z.string().min(1),
  hostId: z.string().min(1).optional(),
  sessionId: z.string().min(1).optional(),
  destination: z.string().min(1).optional(),
  timeoutSeconds: z.number().int().min(1).max(86_400).default(180),
  /** First wait before polling a Glacier retrieval again (default 60 s); it doubles up to an hour. */
  retrievalPollSeconds: z.number().int().min(1).max(3600).optional(),
});
export type RestoreJobInput = z.infer<typeof RestoreJobInput>;

/**
 * completed when every scenario completed, failed when none completed or
 * finished incomplete, incomplete in between (or when one finished with a warning).
 */
export function jobResultOf(outcomes: readonly ScenarioOutcome[]): JobResult {
  const completed = outcomes.filter((outcome) => outcome.status === 'completed').length;
  if (completed === outcomes.length) return 'completed';
  const failed = outcomes.filter((outcome) => outcome.status === 'failed').length;
  return failed === outcomes.length ? 'failed' : 'incomplete';
}

/**
 * The backup step's own limit: it heartbeats every agentTimeoutSeconds
 * (AE0469 when a heartbeat is missed), so a large backup may run this long.
 */
export const BACKUP_TIMEOUT_SECONDS = 86_400;

/**
 * How long a backup job holds its scenario's lock without renewing it: every
 * step it may wait for, so only a job that died unnoticed loses the lock.
 */
export function lockLeaseSeconds(agentTimeoutSeconds: number): number {
  return BACKUP_TIMEOUT_SECONDS + 8 * agentTimeoutSeconds + 300;
}

/**
 * Jobs: a backup or restore request over one or more scenarios, run now or
 * on an EventBridge Scheduler schedule. Each scenario gets a child job with
 * its own status, result and error code. Status moves
 * ready → active → done (hold ↔ ready for scheduled jobs); a done job has a
 * result.
 */
import { z } from 'zod';
import { HostName } from './host.js';
import { AbsolutePath } from './scenario.js';
import { JobResult, RetrievalTier } from './workflow-input.js';

export { JobResult };

export const JobKind = z.enum(['backup', 'restore']);
export type JobKind = z.infer<typeof JobKind>;

export const JobStatus = z.enum(['ready', 'active', 'hold', 'done']);
export type JobStatus = z.infer<typeof JobStatus>;

// EventBridge Scheduler: cron(minutes hours day-of-month month day-of-week year), six fields.
const CRON_FIELD = /^[0-9A-Za-z*?,/#L W-]+$/;
const CRON = /^cron\((.+)\)$/;
// rate(value unit): a positive whole number and minute(s), hour(s) or day(s).
const RATE = /^rate\(([1-9][0-9]*) (minute|minutes|hour|hours|day|days)\)$/;

export const CronExpression = z
  .string()
  .max(256)
  .refine(
    (text) => {
      const inner = CRON.exec(text)?.[1];
      const fields = inner?.trim().split(/\s+/) ?? [];
      return fields.length === 6 && fields.every((field) => CRON_FIELD.test(field));
    },
    { message: 'must be an EventBridge Scheduler cron expression with six fields, e.g. cron(0 2 * * ? *)' },
  );

export const RateExpression = z
  .string()
  .max(64)
  .refine(
    (text) => {
      const match = RATE.exec(text);
      if (!match) return false;
      // AWS insists on the singular unit for 1 and the plural otherwise.
      return (match[1] === '1') === !match[2]?.endsWith('s');
    },
    { message: 'must be rate(<n> minutes|hours|days), singular for 1, e.g. rate(6 hours)' },
  );

export const JobSchedule = z.union([
  z.strictObject({ cron: CronExpression }),
  z.strictObject({ rate: RateExpression }),
]);
export type JobSchedule = z.infer<typeof JobSchedule>;

/** The EventBridge Scheduler expression of a schedule. */
export function scheduleExpressionOf(schedule: JobSchedule): string {
  return 'cron' in schedule ? schedule.cron : schedule.rate;
}

/** A scenario named in a request: its id (`s-…`) or its unique name. */
export const ScenarioRef = z.string().min(1).max(100);

export const RestoreTarget = z
  .strictObject({
    /** The session (its number) to restore from: the recovery point of a tree or query restore too. */
    sessionId: z.string().min(1).max(200),
    /** Where on the destination host the data is written (an alternate location); unused for `to` original or replica. */
    destination: AbsolutePath.optional(),
    /** The destination host; the scenario's master when absent (restore to the original location). */
    host: HostName.optional(),
    /**
     * Where the data lands: `alternate` (default) under `destination` on `host`, `original` over
     * the master's own paths, `replica` into the first replica's directory (then it resynchronizes).
     */
    to: z.enum(['alternate', 'original', 'replica']).optional(),
    /** By tree: the master paths (files or directories) to restore from the session. */
    paths: z.array(AbsolutePath).min(1).max(1000).optional(),
    /** By query: a file-name wildcard pattern matched over the session's name index. */
    pattern: z.string().min(1).max(1024).optional(),
    /** Retrieval tier for sessions in a Glacier tier (default standard). */
    tier: RetrievalTier.optional(),
    /** Restore to the original location even when the scenario cannot be stopped (else AE0464). */
    continueRestoreIfCannotStop: z.boolean().optional(),
  })
  .refine((target) => !(target.paths && target.pattern), {
    message: 'restore by tree (paths) or by query (pattern), not both',
    path: ['pattern'],
  })
  .refine((target) => (target.to ?? 'alternate') !== 'alternate' || target.destination !== undefined, {
    message: 'an alternate-location restore needs a destination folder',
    path: ['destination'],
  });
export type RestoreTarget = z.infer<typeof RestoreTarget>;

export const SubmitJobRequest = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('backup'),
    name: z.string().min(1).max(100).optional(),
    scenarios: z.array(ScenarioRef).min(1).max(100),
    /** Absent: run now. */
    schedule: JobSchedule.optional(),
  }),
  z.strictObject({
    kind: z.literal('restore'),
    name: z.string().min(1).max(100).optional(),
    scenarios: z.array(ScenarioRef).length(1, 'a restore job names exactly one scenario'),
    restore: RestoreTarget,
  }),
]);
export type SubmitJobRequest = z.infer<typeof SubmitJobRequest>;

export const ChildJob = z.object({
  scenarioId: z.string(),
  scenarioName: z.string(),
  status: JobStatus,
  result: JobResult.optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type ChildJob = z.infer<typeof ChildJob>;

export const Job = z.object({
  id: z.string(),
  kind: JobKind,
  name: z.string().optional(),
  scenarios: z.array(ChildJob).min(1),
  schedule: JobSchedule.optional(),
  restore: RestoreTarget.optional(),
  status: JobStatus,
  result: JobResult.optional(),
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().optional(),
  endedAt: z.iso.datetime().optional(),
  submittedBy: z.string(),
  /** The submitter's host scope at submit time (absent: all hosts); the workflow checks it again (AE0459). */
  submitterHostScope: z.array(z.string()).optional(),
  executionArn: z.string().optional(),
  scheduleName: z.string().optional(),
});
export type Job = z.infer<typeof Job>;

export const ListJobsQuery = z.object({
  status: JobStatus.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  next: z.string().optional(),
});

/** Operator actions on a job and the statuses each may start from. */
export const JOB_ACTIONS = {
  hold: { from: ['ready'], to: 'hold' },
  release: { from: ['hold'], to: 'ready' },
  cancel: { from: ['ready', 'hold', 'active'], to: 'done' },
} as const satisfies Record<string, { from: readonly JobStatus[]; to: JobStatus }>;
export type JobAction = keyof typeof JOB_ACTIONS;

/** Why an action cannot run on a job in this status, or undefined when it can. */
export function jobActionRefusal(job: Pick<Job, 'id' | 'status' | 'schedule'>, action: JobAction) {
  const rule = JOB_ACTIONS[action];
  if ((action === 'hold' || action === 'release') && !job.schedule) {
    return `job ${job.id} runs once, not on a schedule; only scheduled jobs can be ${action === 'hold' ? 'held' : 'released'}`;
  }
  if (!(rule.from as readonly JobStatus[]).includes(job.status)) {
    return `job ${job.id} is ${job.status}; ${action} needs it ${rule.from.join(' or ')}`;
  }
  return undefined;
}

/**
 * Alerts: what an operator is told about without asking. Jobs raise one per
 * result; agents raise lost_connection,
 * queue_overflow, disk_full, rewind_points_dropped, master_lost and significant_info.
 */
import { z } from 'zod';
import type { JobResult } from './workflow-input.js';

export const AlertKind = z.enum([
  'job_completed',
  'job_incomplete',
  'job_canceled',
  'job_failed',
  'lost_connection',
  'queue_overflow',
  'disk_full',
  'rewind_points_dropped',
  'master_lost',
  'significant_info',
]);
export type AlertKind = z.infer<typeof AlertKind>;

export const Alert = z.object({
  id: z.string(),
  kind: AlertKind,
  at: z.iso.datetime(),
  text: z.string().min(1).max(4000),
  jobId: z.string().optional(),
  scenarioId: z.string().optional(),
  hostId: z.string().optional(),
});
export type Alert = z.infer<typeof Alert>;

/** The alert a finished job raises. */
export function alertKindOfJob(result: JobResult): AlertKind {
  return `job_${result}` as const;
}

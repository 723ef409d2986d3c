/** The activity log of a job: what happened, in time order, with catalogue codes where one applies. */
import { z } from 'zod';

export const ActivitySeverity = z.enum(['info', 'warning', 'error']);
export type ActivitySeverity = z.infer<typeof ActivitySeverity>;

export const ActivityEntry = z.object({
  jobId: z.string().min(1),
  time: z.iso.datetime(),
  severity: ActivitySeverity,
  /** A code from core/error-catalogue.ts when the entry reports one. */
  code: z.string().min(1).max(20).optional(),
  message: z.string().min(1).max(4000),
  sessionNumber: z.number().int().min(1).optional(),
});
export type ActivityEntry = z.infer<typeof ActivityEntry>;

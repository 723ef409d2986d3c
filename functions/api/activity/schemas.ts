import { z } from 'zod';
import { ActivityEntry } from '../../../core/activity.js';
import { PageQuery } from '../sessions/schemas.js';

export const JobParams = z.object({ jobId: z.string().min(1).max(100) });
export const ActivityQuery = z.strictObject({
  limit: PageQuery.limit.unwrap().max(1000).default(500),
  next: PageQuery.next,
});
export const ActivityPage = z.object({
  jobId: z.string(),
  entries: z.array(ActivityEntry),
  next: z.string().optional(),
});

import { z } from 'zod';

export const JobParams = z.object({ jobId: z.string().min(1).max(100) });

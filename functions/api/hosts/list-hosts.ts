import { z } from 'zod';
import { httpHandler } from '../../shared/http-handler.js';

const Query = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  next: z.string().optional(),
});

/** GET /hosts: enrolled hosts by name, a page at a time. */
export const handler = httpHandler({ query: Query }, async ({ query, catalog }) => ({
  body: await catalog.hosts(query.limit, query.next),
}));

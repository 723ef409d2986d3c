import { z } from 'zod';
import { requireHost } from '../../repositories/hosts.js';
import { httpHandler } from '../../shared/http-handler.js';

const Params = z.object({ hostId: z.string().min(1).max(100) });

/** GET /hosts/{hostId} */
export const handler = httpHandler({ params: Params }, async ({ params }) => ({
  body: await requireHost(params.hostId),
}));

import { z } from 'zod';
import { httpHandler } from '../../shared/http-handler.js';

const Params = z.object({ hostId: z.string().min(1).max(100) });

/** GET /hosts/{hostId} */
export const handler = httpHandler({ params: Params }, async ({ params, catalog }) => ({
  body: await catalog.host(params.hostId),
}));

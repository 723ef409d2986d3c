import { z } from 'zod';
import { rotateAgentToken } from '../../repositories/hosts.js';
import { httpHandler } from '../../shared/http-handler.js';

const Params = z.object({ hostId: z.string().min(1).max(100) });

/**
 * POST /hosts/{hostId}/agent-token (admin): a new credential for the host's agent, shown once; every
 * earlier one is revoked (within the authorizer's 60 s cache), so install the new one on the host.
 */
export const handler = httpHandler({ params: Params }, async ({ params, catalog }) => {
  const host = await catalog.host(params.hostId);
  const { agentToken, revoked } = await rotateAgentToken(host);
  return { statusCode: 201, body: { host, agentToken, revokedCredentials: revoked } };
});

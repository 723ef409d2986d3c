import { z } from 'zod';
import { TidemarkError } from '../../../core/error-catalogue.js';
import { unenrollHost } from '../../repositories/hosts.js';
import { scenariosUsingHost } from '../../repositories/scenarios.js';
import { httpHandler } from '../../shared/http-handler.js';

const Params = z.object({ hostId: z.string().min(1).max(100) });

/**
 * DELETE /hosts/{hostId} (admin): unenroll a host no scenario uses; its agent's credentials are
 * revoked with it. 409 naming the scenarios that still use it.
 */
export const handler = httpHandler({ params: Params }, async ({ params, catalog }) => {
  const host = await catalog.host(params.hostId);
  const using = await scenariosUsingHost(host.name);
  if (using.length > 0)
    throw new TidemarkError(
      'Conflict',
      `host ${host.name} is still used by scenario ${using.join(', ')}; remove it from them (or delete them) first`,
      409,
      'hostId',
    );
  const revokedCredentials = await unenrollHost(host);
  return { body: { unenrolled: host, revokedCredentials } };
});

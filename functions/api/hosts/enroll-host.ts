import { EnrollHostRequest } from '../../../core/host.js';
import { enrollHost } from '../../repositories/hosts.js';
import { httpHandler } from '../../shared/http-handler.js';

/** POST /hosts (admin): enroll a host; the answer carries the agent's credential, shown only this once. */
export const handler = httpHandler({ body: EnrollHostRequest }, async ({ body, principal, catalog }) => {
  catalog.scope.requireHost(body.name, 'name');
  const { host, agentToken } = await enrollHost(body, principal.principalId);
  return { statusCode: 201, body: { host, agentToken } };
});

import { listCredentials } from '../../repositories/credentials.js';
import { HostScope } from '../../shared/host-scope.js';
import { httpHandler } from '../../shared/http-handler.js';

/**
 * GET /credentials (admin): operator credentials (never a secret). A scoped admin sees those
 * whose scope lies inside its own; agent credentials belong to their host (/hosts/{hostId}).
 */
export const handler = httpHandler({}, async ({ catalog }) => {
  const credentials = (await listCredentials()).filter(
    (credential) =>
      credential.principalType === 'operator' &&
      catalog.scope.coversScope(HostScope.of(credential.hostScope)),
  );
  return { body: { credentials } };
});

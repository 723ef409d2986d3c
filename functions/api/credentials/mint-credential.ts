import { MintCredentialRequest } from '../../../core/credential.js';
import { TidemarkError } from '../../../core/error-catalogue.js';
import { getCredential, hashSecret, mintCredential } from '../../repositories/credentials.js';
import { HostScope } from '../../shared/host-scope.js';
import { httpHandler } from '../../shared/http-handler.js';

/**
 * POST /credentials (admin): a new operator credential, its secret shown once. A scoped admin may
 * only mint credentials limited to hosts inside its own scope.
 */
export const handler = httpHandler({ body: MintCredentialRequest }, async ({ body, principal, catalog }) => {
  if (!catalog.scope.coversScope(HostScope.of(body.hosts)))
    throw new TidemarkError(
      'Forbidden',
      body.hosts
        ? `hosts ${body.hosts.filter((host) => !catalog.scope.covers(host)).join(', ')} are outside this credential's host scope`
        : "a credential for every host needs an admin credential for every host; name the hosts (inside this credential's scope)",
      403,
      'hosts',
    );
  const token = await mintCredential(
    { principalType: 'operator', principalId: `operator:${body.name}`, role: body.role },
    `${body.name} (minted by ${principal.principalId})`,
    body.hosts,
  );
  const credential = await getCredential(hashSecret(token));
  return { statusCode: 201, body: { credential, token } };
});

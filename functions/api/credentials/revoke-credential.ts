import { z } from 'zod';
import { CredentialId } from '../../../core/credential.js';
import { TidemarkError } from '../../../core/error-catalogue.js';
import { getCredential, revokeCredential } from '../../repositories/credentials.js';
import { HostScope } from '../../shared/host-scope.js';
import { httpHandler } from '../../shared/http-handler.js';

const Params = z.object({ credentialId: CredentialId });

/**
 * DELETE /credentials/{credentialId} (admin): revoke an operator credential. It stops working at
 * once locally and within the authorizer's 60 s cache on AWS. Agent credentials are rotated or
 * revoked with their host (POST /hosts/{hostId}/agent-token, DELETE /hosts/{hostId}).
 */
export const handler = httpHandler({ params: Params }, async ({ params, principal, catalog }) => {
  const credential = await getCredential(params.credentialId);
  if (credential?.principalType !== 'operator')
    throw new TidemarkError(
      'NotFound',
      `no operator credential has id ${params.credentialId}`,
      404,
      'credentialId',
    );
  if (!catalog.scope.coversScope(HostScope.of(credential.hostScope)))
    throw new TidemarkError(
      'Forbidden',
      `credential ${credential.id} (${credential.label}) reaches hosts outside this credential's host scope`,
      403,
      'credentialId',
    );
  // An admin does not lock itself out by mistake (a fuzzer or a script with its own id); another admin can.
  if (principal.principalType === 'operator' && principal.credentialId === credential.id)
    throw new TidemarkError(
      'Conflict',
      'this is the credential making the request; revoke it with another admin credential',
      409,
      'credentialId',
    );
  await revokeCredential(credential.id);
  return { body: { revoked: credential } };
});

/**
 * A bearer credential as operators see it: never the secret, and its id is
 * the SHA-256 the table stores (a hash of 256 random bits: naming it gives
 * no access). Operator credentials are minted, listed and revoked under
 * /credentials; agent credentials with their host (/hosts/{hostId}).
 */
import { z } from 'zod';
import { HostName } from './host.js';
import { OperatorRole } from './principal.js';

export const CredentialId = z.string().regex(/^[0-9a-f]{64}$/, 'a credential id is 64 hex digits');

export const CredentialView = z.object({
  id: CredentialId,
  principalType: z.enum(['operator', 'agent']),
  principalId: z.string(),
  role: OperatorRole.optional(),
  hostId: z.string().optional(),
  /** The hosts an operator credential is limited to; absent for every host. */
  hostScope: z.array(z.string()).optional(),
  label: z.string(),
  createdAt: z.string(),
});
export type CredentialView = z.infer<typeof CredentialView>;

/** POST /credentials: a new operator credential. */
export const MintCredentialRequest = z.strictObject({
  /** Who it is for (a person or a script): letters, digits and `._@-`. */
  name: z.string().regex(/^[\w.@-]{1,64}$/, 'a name is 1 to 64 letters, digits or ._@-'),
  role: OperatorRole,
  /** Limit it to these hosts; omit for every host (only an unlimited admin may). */
  hosts: z.array(HostName).max(1000).optional(),
});
export type MintCredentialRequest = z.infer<typeof MintCredentialRequest>;

/**
 * Who is calling: an operator (with a role) or an agent (acting for exactly
 * one host). The authorizer derives a principal from a bearer credential;
 * routes declare the least access they need.
 */
import { z } from 'zod';

export const OperatorRole = z.enum(['viewer', 'operator', 'admin']);
export type OperatorRole = z.infer<typeof OperatorRole>;

export const Principal = z.discriminatedUnion('principalType', [
  z.object({
    principalType: z.literal('operator'),
    principalId: z.string().min(1),
    role: OperatorRole,
    /**
     * The hosts the credential is limited to, comma-separated and in lower
     * case ('' for none); absent for every host. A flat string because the
     * authorizer's context, which carries the principal to each route, holds
     * only strings.
     */
    hostScope: z.string().optional(),
    /** The id (stored SHA-256) of the credential the call was made with, set by the authorizer. */
    credentialId: z.string().optional(),
  }),
  z.object({ principalType: z.literal('agent'), principalId: z.string().min(1), hostId: z.string().min(1) }),
]);
export type Principal = z.infer<typeof Principal>;

/** What a route requires: an operator role (or higher), or an agent. */
export type Access = OperatorRole | 'agent';

const ROLE_RANK: Record<OperatorRole, number> = { viewer: 0, operator: 1, admin: 2 };

export function canAccess(principal: Principal, access: Access): boolean {
  if (access === 'agent') return principal.principalType === 'agent';
  return principal.principalType === 'operator' && ROLE_RANK[principal.role] >= ROLE_RANK[access];
}

/** Why the principal may not do something that needs a role, or undefined when it may. */
export function roleRefusal(principal: Principal, role: OperatorRole, what: string): string | undefined {
  if (canAccess(principal, role)) return undefined;
  const held = principal.principalType === 'operator' ? `the ${principal.role} role` : 'an agent credential';
  return `${what} needs the ${role} role; this credential has ${held}`;
}

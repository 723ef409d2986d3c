/**
 * Who is calling: an operator (with a role) or an agent (acting for exactly
 * one host). The authorizer derives a principal from a bearer credential;
 * routes declare the least access they need.
 */
import { z } from 'zod';

export const OperatorRole = z.enum(['viewer', 'operator', 'admin']);
export type OperatorRole = z.infer<typeof OperatorRole>;

export const Principal = z.discriminatedUnion('principalType', [
  z.object({ principalType: z.literal('operator'), principalId: z.string().min(1), role: OperatorRole }),
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

import { TidemarkError } from '../../core/error-catalogue.js';
import type { Principal } from '../../core/principal.js';

/** The host an agent principal acts for; the routes that call this are agent-only already. */
export function agentHostId(principal: Principal): string {
  if (principal.principalType !== 'agent') {
    throw new TidemarkError('Forbidden', 'only an agent credential may call this route', 403);
  }
  return principal.hostId;
}

import { AgentHeartbeatRequest } from '../../../core/host.js';
import { recordHeartbeat } from '../../repositories/hosts.js';
import { agentHostId } from '../../shared/agent-principal.js';
import { httpHandler } from '../../shared/http-handler.js';

/** POST /agent/heartbeat: the calling agent's host is alive; it may also report version and addresses. */
export const handler = httpHandler({ body: AgentHeartbeatRequest }, async ({ body, principal }) => ({
  body: await recordHeartbeat(agentHostId(principal), body),
}));

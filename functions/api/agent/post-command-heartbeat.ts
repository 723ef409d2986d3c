import { z } from 'zod';
import { heartbeatCommand } from '../../command-channel/deliver-result.js';
import { agentHostId } from '../../shared/agent-principal.js';
import { httpHandler } from '../../shared/http-handler.js';

const Params = z.object({ commandId: z.string().min(1).max(100) });

/** POST /agent/commands/{commandId}/heartbeat: the agent is still working on a long command. */
export const handler = httpHandler({ params: Params }, async ({ params, principal }) => ({
  body: await heartbeatCommand(agentHostId(principal), params.commandId),
}));

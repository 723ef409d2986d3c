import { z } from 'zod';
import { CommandResult } from '../../../core/command.js';
import { deliverResult } from '../../command-channel/deliver-result.js';
import { agentHostId } from '../../shared/agent-principal.js';
import { httpHandler } from '../../shared/http-handler.js';

const Params = z.object({ commandId: z.string().min(1).max(100) });

/** POST /agent/commands/{commandId}/result: the outcome of a command, handed to the waiting workflow step. */
export const handler = httpHandler(
  { params: Params, body: CommandResult },
  async ({ params, body, principal }) => ({
    body: await deliverResult(agentHostId(principal), params.commandId, body),
  }),
);

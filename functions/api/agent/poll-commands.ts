import { PollCommandsQuery } from '../../../core/command.js';
import { pollForCommand } from '../../command-channel/poll.js';
import { agentHostId } from '../../shared/agent-principal.js';
import { httpHandler } from '../../shared/http-handler.js';

/**
 * GET /agent/commands?waitSeconds=N&running=ids&run=id: the next command for the calling agent's host (one
 * of its own it says it is not running first), or 204 after the wait.
 */
export const handler = httpHandler({ query: PollCommandsQuery }, async ({ query, principal }) => {
  const command = await pollForCommand(agentHostId(principal), query.waitSeconds, {
    running: query.running,
    run: query.run,
  });
  return command ? { body: command } : { statusCode: 204, body: null };
});

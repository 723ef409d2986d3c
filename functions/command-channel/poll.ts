/**
 * Long polling for agents: agents sit behind NAT and only dial out, so
 * GET /agent/commands holds the request open until a command arrives or the
 * wait ends (kept under API Gateway's 29 s integration limit). A command
 * whose workflow step has ended is retired, not handed out.
 */
import type { AgentCommand } from '../../core/command.js';
import { type AgentInHand, claimNextCommand } from '../repositories/commands.js';
import { retireIfAbandoned } from './abandoned-commands.js';

const POLL_INTERVAL_MS = 250;

export async function pollForCommand(
  hostId: string,
  waitSeconds: number,
  agent: AgentInHand = {},
): Promise<AgentCommand | undefined> {
  const until = Date.now() + waitSeconds * 1000;
  for (;;) {
    const command = await claimNextCommand(hostId, agent);
    // A canceled job's command is retired here; the next one is looked for at once.
    if (command && (await retireIfAbandoned(command.id))) continue;
    if (command || Date.now() >= until) return command;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_INTERVAL_MS, until - Date.now())));
  }
}

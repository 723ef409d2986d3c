/**
 * After a restore to the original location: starts the scenario again the
 * way the run route does (state stopped → synchronizing, a start command to
 * the master and every replica), but only when the workflow stopped it. A
 * restore into the replica is left stopped: its data must flow back to the
 * master, and a plain start would synchronize the master's copy over it.
 */
import { z } from 'zod';
import { scenarioActionRefusal } from '../../core/scenario.js';
import { sendScenarioCommands } from '../api/scenarios/scenario-commands.js';
import { resolveScenarioHosts } from '../api/scenarios/scenario-hosts.js';
import { applyAction, requireScenario } from '../repositories/scenarios.js';
import { stepHandler } from '../shared/step-handler.js';

const Input = z.object({
  state: z.object({
    resolved: z.object({ to: z.string(), restoreArgs: z.object({ scenarioId: z.string() }) }).optional(),
    stopped: z.boolean().optional(),
  }),
});

export const handler = stepHandler(Input, async ({ state }) => {
  if (!state.resolved || state.stopped !== true)
    return { restarted: false, reason: 'not stopped by this job' };
  if (state.resolved.to === 'replica') return { restarted: false, reason: 'restored into the replica' };
  let scenario = await requireScenario(state.resolved.restoreArgs.scenarioId);
  const hosts = await resolveScenarioHosts(scenario, 409);
  // The agents stopped; the catalog follows, so the run rule (from stopped) applies as for an operator.
  if (!scenarioActionRefusal(scenario, 'stop')) scenario = await applyAction(scenario, 'stop');
  const moved = await applyAction(scenario, 'run');
  const commands = await sendScenarioCommands(moved, hosts, 'start', [hosts.master, ...hosts.replicas]);
  return { restarted: true, commands: commands.map((command) => command.id) };
});

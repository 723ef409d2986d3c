/**
 * After a restore to the original location (master or replica): starts the
 * scenario again the way the run route does (state stopped → synchronizing,
 * a start command to the master and every replica), when this job stopped
 * it or tried to — a stop that timed out may still land on the agent later,
 * and replication must not stay off unnoticed. A restore into the replica
 * is restarted only once it has flowed back to the master: otherwise the
 * start's synchronization would copy the master's older files over it.
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
    stopError: z.unknown().optional(),
    restoreResult: z.unknown().optional(),
    flowBackResult: z.unknown().optional(),
  }),
});

export const handler = stepHandler(Input, async ({ state }) => {
  const triedToStop = state.stopped === true || state.stopError !== undefined;
  if (!state.resolved || !triedToStop) return { restarted: false, reason: 'not stopped by this job' };
  if (
    state.resolved.to === 'replica' &&
    state.restoreResult !== undefined &&
    state.flowBackResult === undefined
  ) {
    return { restarted: false, reason: 'the data restored into the replica did not reach the master' };
  }
  let scenario = await requireScenario(state.resolved.restoreArgs.scenarioId);
  const hosts = await resolveScenarioHosts(scenario, 409);
  // The agents stopped; the catalog follows, so the run rule (from stopped) applies as for an operator.
  if (!scenarioActionRefusal(scenario, 'stop')) scenario = await applyAction(scenario, 'stop');
  const moved = await applyAction(scenario, 'run');
  const commands = await sendScenarioCommands(moved, hosts, 'start', [hosts.master, ...hosts.replicas]);
  return { restarted: true, commands: commands.map((command) => command.id) };
});

/**
 * run, stop and discover share one shape: check the state rule, resolve the
 * hosts, move the state (conditionally), then write a command per host.
 */
import type { ScenarioView } from '../../../core/scenario-status.js';
import { applyAction } from '../../repositories/scenarios.js';
import { httpHandler } from '../../shared/http-handler.js';
import { assertPeersReachable, sendScenarioCommands } from './scenario-commands.js';
import { resolveScenarioHosts } from './scenario-hosts.js';
import { ScenarioParams } from './scenario-params.js';

const COMMAND_OF = { run: 'start', stop: 'stop', discover: 'discover' } as const;

export function scenarioActionHandler(action: keyof typeof COMMAND_OF) {
  return httpHandler({ params: ScenarioParams }, async ({ params, catalog }) => {
    const scenario: ScenarioView = await catalog.scenario(params.scenarioId);
    const hosts = await resolveScenarioHosts(scenario, 409);
    // Discovery runs on the master (agent/scenario-runtime.ts: DiscoverEntities); run and stop on every host.
    const targets = action === 'discover' ? [hosts.master] : [hosts.master, ...hosts.replicas];
    if (action === 'run') assertPeersReachable(hosts);
    const moved = await applyAction(scenario, action);
    const commands = await sendScenarioCommands(moved, hosts, COMMAND_OF[action], targets);
    return { statusCode: 202, body: { scenario: moved, commands } };
  });
}

import { randomUUID } from 'node:crypto';
import { TidemarkError } from '../../../core/error-catalogue.js';
import { RewindRequest } from '../../../core/rewind-point.js';
import type { ScenarioView } from '../../../core/scenario-status.js';
import { acquireLock, releaseLock } from '../../repositories/locks.js';
import { listRewindPoints } from '../../repositories/rewind-points.js';
import { applyAction } from '../../repositories/scenarios.js';
import { httpHandler } from '../../shared/http-handler.js';
import { definitionOf, sendCommand, sendScenarioCommands } from '../scenarios/scenario-commands.js';
import { resolveScenarioHosts } from '../scenarios/scenario-hosts.js';
import { ScenarioParams } from '../scenarios/scenario-params.js';

/**
 * POST /scenarios/{scenarioId}/rewind: rolls the replica that holds the point
 * back to it. The scenario stops first (a running master would resynchronize
 * the rewound data away): stop commands to the master and the other
 * replicas, and a rewind command to the point's replica, which stops there
 * itself before it rolls back. The scenario lock keeps a backup from starting
 * meanwhile (its lease lapses after the agent timeout). The rewind command's
 * output says what changed: GET /scenarios/{scenarioId}/commands/{commandId}.
 */
export const handler = httpHandler(
  { params: ScenarioParams, body: RewindRequest },
  async ({ params, body, catalog }) => {
    const scenario = await catalog.scenario(params.scenarioId);
    const point = (await listRewindPoints(scenario.id)).find((p) => p.id === body.point);
    if (!point) {
      throw new TidemarkError(
        'AE0475',
        `body field 'point': scenario '${scenario.name}' has no rewind point ${body.point}; list them with GET /scenarios/${scenario.id}/rewind-points`,
        404,
        'point',
      );
    }
    const hosts = await resolveScenarioHosts(scenario, 409);
    const replica = hosts.replicas.find((host) => host.name === point.host);
    if (!replica)
      throw new TidemarkError(
        'Conflict',
        `host '${point.host}' is no longer a replica of '${scenario.name}'`,
        409,
      );
    const holder = `rewind-${randomUUID()}`;
    await acquireLock(scenario.id, holder, scenario.options.agentTimeoutSeconds, scenario.name);
    let stopped: ScenarioView;
    try {
      stopped = scenario.state === 'stopped' ? scenario : await applyAction(scenario, 'stop');
    } catch (error) {
      // Nothing was sent: the lock must not hold backups off for nothing.
      await releaseLock(scenario.id, holder).catch(() => undefined);
      throw error;
    }
    const others = [hosts.master, ...hosts.replicas.filter((host) => host.id !== replica.id)];
    const stops =
      scenario.state === 'stopped' ? [] : await sendScenarioCommands(stopped, hosts, 'stop', others);
    const rewind = await sendCommand(stopped, replica, 'rewind', {
      scenario: definitionOf(stopped),
      pointId: point.id,
    });
    return { statusCode: 202, body: { scenario: stopped, point, commands: [...stops, rewind] } };
  },
);

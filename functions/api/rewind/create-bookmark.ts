import { CreateBookmarkRequest } from '../../../core/rewind-point.js';
import { httpHandler } from '../../shared/http-handler.js';
import { definitionOf, sendCommand } from '../scenarios/scenario-commands.js';
import { resolveScenarioHosts } from '../scenarios/scenario-hosts.js';
import { ScenarioParams } from '../scenarios/scenario-params.js';

/**
 * POST /scenarios/{scenarioId}/rewind-points: a named bookmark, taken now in
 * every replica's undo journal (a rewind_point command per replica). It
 * appears in the list once the replica has taken it.
 */
export const handler = httpHandler(
  { params: ScenarioParams, body: CreateBookmarkRequest },
  async ({ params, body, catalog }) => {
    const scenario = await catalog.scenario(params.scenarioId);
    const hosts = await resolveScenarioHosts(scenario, 409);
    const args = { scenario: definitionOf(scenario), label: body.label };
    const commands = await Promise.all(
      hosts.replicas.map((replica) => sendCommand(scenario, replica, 'rewind_point', args)),
    );
    return { statusCode: 202, body: { scenario, commands } };
  },
);

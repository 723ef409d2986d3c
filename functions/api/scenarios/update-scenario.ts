import { TidemarkError } from '../../../core/error-catalogue.js';
import { patchOptions, UpdateScenarioRequest } from '../../../core/scenario.js';
import { requireScenario, updateDefinition } from '../../repositories/scenarios.js';
import { httpHandler } from '../../shared/http-handler.js';
import { assertDistinctHosts, resolveScenarioHosts } from './scenario-hosts.js';
import { ScenarioParams } from './scenario-params.js';

/** PATCH /scenarios/{scenarioId}: change options, roots or replicas of a stopped scenario. */
export const handler = httpHandler(
  { params: ScenarioParams, body: UpdateScenarioRequest },
  async ({ params, body }) => {
    const scenario = await requireScenario(params.scenarioId);
    if (body.version !== undefined && body.version !== scenario.version) {
      throw new TidemarkError(
        'Conflict',
        `scenario '${scenario.name}' is at version ${scenario.version}, not ${body.version}; read it again`,
        409,
        'version',
      );
    }
    const replicas = body.replicas?.map((replica) => ({ ...replica, host: replica.host.toLowerCase() }));
    if (replicas) {
      const changed = { ...scenario, replicas };
      assertDistinctHosts(changed);
      await resolveScenarioHosts(changed);
    }
    const options = body.options ? patchOptions(scenario.options, body.options) : undefined;
    return { body: await updateDefinition(scenario, { options, roots: body.roots, replicas }) };
  },
);

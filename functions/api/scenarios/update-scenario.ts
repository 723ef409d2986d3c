import { TidemarkError } from '../../../core/error-catalogue.js';
import { roleRefusal } from '../../../core/principal.js';
import { patchOptions, UpdateScenarioRequest } from '../../../core/scenario.js';
import { updateDefinition } from '../../repositories/scenarios.js';
import { httpHandler } from '../../shared/http-handler.js';
import { assertDistinctHosts, resolveScenarioHosts } from './scenario-hosts.js';
import { ScenarioParams } from './scenario-params.js';

/** PATCH /scenarios/{scenarioId}: change options (operator), roots or replicas (admin) of a stopped scenario. */
export const handler = httpHandler(
  { params: ScenarioParams, body: UpdateScenarioRequest },
  async ({ params, body, principal, catalog }) => {
    const scenario = await catalog.scenario(params.scenarioId);
    const defines = body.roots ? 'roots' : body.replicas ? 'replicas' : undefined;
    const refusal = defines && roleRefusal(principal, 'admin', 'changing roots or replicas');
    if (defines && refusal) throw new TidemarkError('Forbidden', refusal, 403, defines);
    if (body.version !== undefined && body.version !== scenario.version) {
      throw new TidemarkError(
        'Conflict',
        `scenario '${scenario.name}' is at version ${scenario.version}, not ${body.version}; read it again`,
        409,
        'version',
      );
    }
    const replicas = body.replicas?.map((replica) => ({ ...replica, host: replica.host.toLowerCase() }));
    for (const [i, replica] of (replicas ?? []).entries())
      catalog.scope.requireHost(replica.host, `replicas.${i}.host`);
    if (replicas) {
      const changed = { ...scenario, replicas };
      assertDistinctHosts(changed);
      await resolveScenarioHosts(changed);
    }
    const options = body.options ? patchOptions(scenario.options, body.options) : undefined;
    return { body: await updateDefinition(scenario, { options, roots: body.roots, replicas }) };
  },
);

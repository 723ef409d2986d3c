import { TidemarkError } from '../../../core/error-catalogue.js';
import { ScenarioStatusReport } from '../../../core/scenario-status.js';
import { requireHost } from '../../repositories/hosts.js';
import { recordStatusReport, requireScenario } from '../../repositories/scenarios.js';
import { agentHostId } from '../../shared/agent-principal.js';
import { httpHandler } from '../../shared/http-handler.js';
import { ScenarioParams } from '../scenarios/scenario-params.js';

/**
 * POST /agent/scenarios/{scenarioId}/status: an agent reports the scenario's
 * state and statistics (and, from the master after discovery, its entities).
 * Only hosts that take part in the scenario may report on it.
 */
export const handler = httpHandler(
  { params: ScenarioParams, body: ScenarioStatusReport },
  async ({ params, body, principal }) => {
    const host = await requireHost(agentHostId(principal));
    const scenario = await requireScenario(params.scenarioId);
    const isMaster = scenario.master === host.name;
    if (!isMaster && !scenario.replicas.some((replica) => replica.host === host.name)) {
      throw new TidemarkError(
        'Forbidden',
        `host '${host.name}' is neither the master nor a replica of scenario '${scenario.name}'`,
        403,
        'scenarioId',
      );
    }
    if (body.statistics.scenarioId !== scenario.id) {
      throw new TidemarkError(
        'BadRequest',
        `body field 'statistics.scenarioId': '${body.statistics.scenarioId}' is not this scenario's id ${scenario.id}`,
        400,
        'statistics.scenarioId',
      );
    }
    if (body.entities && !isMaster) {
      throw new TidemarkError(
        'Forbidden',
        `host '${host.name}' is a replica; only the master '${scenario.master}' reports discovered entities`,
        403,
        'entities',
      );
    }
    const record = { host: host.name, reportedAt: new Date().toISOString(), statistics: body.statistics };
    return { body: await recordStatusReport(scenario, record, body.entities) };
  },
);

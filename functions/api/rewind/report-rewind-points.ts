import { TidemarkError } from '../../../core/error-catalogue.js';
import { ReportRewindPointsRequest } from '../../../core/rewind-point.js';
import { requireHost } from '../../repositories/hosts.js';
import { replaceRewindPoints } from '../../repositories/rewind-points.js';
import { requireScenario } from '../../repositories/scenarios.js';
import { agentHostId } from '../../shared/agent-principal.js';
import { httpHandler } from '../../shared/http-handler.js';
import { ScenarioParams } from '../scenarios/scenario-params.js';

/**
 * POST /agent/scenarios/{scenarioId}/rewind-points: a replica reports every
 * point its undo journal holds; the catalog is made to match. Only the
 * scenario's replicas may, and only for the scenario named in the path.
 */
export const handler = httpHandler(
  { params: ScenarioParams, body: ReportRewindPointsRequest },
  async ({ params, body, principal }) => {
    const host = await requireHost(agentHostId(principal));
    const scenario = await requireScenario(params.scenarioId);
    if (!scenario.replicas.some((replica) => replica.host === host.name)) {
      throw new TidemarkError(
        'Forbidden',
        `host '${host.name}' is not a replica of scenario '${scenario.name}'; only replicas keep rewind points`,
        403,
        'scenarioId',
      );
    }
    const stray = body.points.findIndex((point) => point.scenarioId !== scenario.id);
    if (stray >= 0) {
      throw new TidemarkError(
        'BadRequest',
        `body field 'points.${stray}.scenarioId': not this scenario's id ${scenario.id}`,
        400,
        `points.${stray}.scenarioId`,
      );
    }
    return { body: await replaceRewindPoints(scenario.id, host.name, body.points) };
  },
);

import { listRewindPoints } from '../../repositories/rewind-points.js';
import { httpHandler } from '../../shared/http-handler.js';
import { ScenarioParams } from '../scenarios/scenario-params.js';

/** GET /scenarios/{scenarioId}/rewind-points: the points each replica's undo journal holds, oldest first. */
export const handler = httpHandler({ params: ScenarioParams }, async ({ params, catalog }) => {
  const scenario = await catalog.scenario(params.scenarioId);
  return { body: { scenarioId: scenario.id, points: await listRewindPoints(scenario.id) } };
});

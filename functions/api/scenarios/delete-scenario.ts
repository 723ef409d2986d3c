import { deleteScenario } from '../../repositories/scenarios.js';
import { httpHandler } from '../../shared/http-handler.js';
import { ScenarioParams } from './scenario-params.js';

/** DELETE /scenarios/{scenarioId}: remove a stopped scenario (and free its name). */
export const handler = httpHandler({ params: ScenarioParams }, async ({ params, catalog }) => {
  await deleteScenario(await catalog.scenario(params.scenarioId));
  return { statusCode: 204, body: null };
});

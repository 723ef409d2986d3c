import { httpHandler } from '../../shared/http-handler.js';
import { ScenarioParams } from './scenario-params.js';

/** GET /scenarios/{scenarioId}: by id or by name, with each host's latest status report. */
export const handler = httpHandler({ params: ScenarioParams }, async ({ params, catalog }) => ({
  body: await catalog.scenario(params.scenarioId),
}));

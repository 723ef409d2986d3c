import { httpHandler } from '../../shared/http-handler.js';
import { ScenarioParams } from '../scenarios/scenario-params.js';
import { scenarioReport } from './build-reports.js';

/** GET /reports/scenarios/{scenarioId}: each host's latest synchronization and replication statistics. */
export const handler = httpHandler({ params: ScenarioParams }, async ({ params, catalog }) => ({
  body: scenarioReport(await catalog.scenario(params.scenarioId)),
}));

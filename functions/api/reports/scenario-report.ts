import { requireScenario } from '../../repositories/scenarios.js';
import { httpHandler } from '../../shared/http-handler.js';
import { ScenarioParams } from '../scenarios/scenario-params.js';
import { scenarioReport } from './build-reports.js';

/** GET /reports/scenarios/{scenarioId}: each host's latest synchronization and replication statistics. */
export const handler = httpHandler({ params: ScenarioParams }, async ({ params }) => ({
  body: scenarioReport(await requireScenario(params.scenarioId)),
}));

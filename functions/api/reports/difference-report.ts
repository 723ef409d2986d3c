import { requireScenario } from '../../repositories/scenarios.js';
import { httpHandler } from '../../shared/http-handler.js';
import { differenceReport } from './build-reports.js';
import { ScenarioReportQuery } from './schemas.js';

/** GET /reports/difference?scenario=: what the replicas lack (the master's spool), e.g. while suspended. */
export const handler = httpHandler({ query: ScenarioReportQuery }, async ({ query }) => ({
  body: differenceReport(await requireScenario(query.scenario, 'scenario')),
}));

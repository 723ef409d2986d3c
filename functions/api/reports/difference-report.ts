import { httpHandler } from '../../shared/http-handler.js';
import { differenceReport } from './build-reports.js';
import { ScenarioReportQuery } from './schemas.js';

/** GET /reports/difference?scenario=: what the replicas lack (the master's spool), e.g. while suspended. */
export const handler = httpHandler({ query: ScenarioReportQuery }, async ({ query, catalog }) => ({
  body: differenceReport(await catalog.scenario(query.scenario, 'scenario')),
}));

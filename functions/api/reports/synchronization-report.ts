import { httpHandler } from '../../shared/http-handler.js';
import { synchronizationReport } from './build-reports.js';
import { ScenarioReportQuery } from './schemas.js';

/** GET /reports/synchronization?scenario=: the last synchronization of each host. */
export const handler = httpHandler({ query: ScenarioReportQuery }, async ({ query, catalog }) => ({
  body: synchronizationReport(await catalog.scenario(query.scenario, 'scenario')),
}));

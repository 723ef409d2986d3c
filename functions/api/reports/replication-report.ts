import { listEvents } from '../../repositories/events.js';
import { httpHandler } from '../../shared/http-handler.js';
import { replicationReport } from './build-reports.js';
import { ScenarioReportQuery } from './schemas.js';

/** How many of the latest events the error count looks at. */
const RECENT_EVENTS = 500;

/** GET /reports/replication?scenario=: bytes and files created/changed/removed/renamed, errors. */
export const handler = httpHandler({ query: ScenarioReportQuery }, async ({ query, catalog }) => {
  const scenario = await catalog.scenario(query.scenario, 'scenario');
  const { events } = await listEvents(scenario.id, RECENT_EVENTS);
  return { body: replicationReport(scenario, events) };
});

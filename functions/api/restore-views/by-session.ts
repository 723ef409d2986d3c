import { requireScenario } from '../../repositories/scenarios.js';
import { listSessions } from '../../repositories/sessions.js';
import { httpHandler } from '../../shared/http-handler.js';
import { RestoreSessionsQuery } from './schemas.js';

/** GET /restore/sessions?scenario=: restore by session — the scenario's committed sessions, newest first. */
export const handler = httpHandler({ query: RestoreSessionsQuery }, async ({ query }) => {
  const scenario = await requireScenario(query.scenario, 'scenario');
  const page = await listSessions({ scenarioId: scenario.id }, query.limit, query.next);
  return { body: { scenarioId: scenario.id, ...page } };
});

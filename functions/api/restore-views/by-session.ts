import { httpHandler } from '../../shared/http-handler.js';
import { RestoreSessionsQuery } from './schemas.js';

/** GET /restore/sessions?scenario=: restore by session — the scenario's committed sessions, newest first. */
export const handler = httpHandler({ query: RestoreSessionsQuery }, async ({ query, catalog }) => {
  const scenario = await catalog.scenario(query.scenario, 'scenario');
  const page = await catalog.sessions({ scenarioId: scenario.id }, query.limit, query.next);
  return { body: { scenarioId: scenario.id, ...page } };
});

import { parseMediaRef } from '../../../core/session.js';
import { requireScenario } from '../../repositories/scenarios.js';
import { listSessions, type SessionFilter } from '../../repositories/sessions.js';
import { httpHandler } from '../../shared/http-handler.js';
import { ListSessionsQuery } from './schemas.js';

/** GET /sessions?scenario=&media=: committed sessions newest first, of a scenario, on a media location, or all. */
export const handler = httpHandler({ query: ListSessionsQuery }, async ({ query }) => {
  let filter: SessionFilter;
  if (query.scenario) filter = { scenarioId: (await requireScenario(query.scenario, 'scenario')).id };
  const media = query.media ? parseMediaRef(query.media) : undefined;
  if (media) filter = { media };
  return { body: await listSessions(filter, query.limit, query.next) };
});

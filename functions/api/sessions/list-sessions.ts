import { parseMediaRef } from '../../../core/session.js';
import type { SessionFilter } from '../../repositories/sessions.js';
import { httpHandler } from '../../shared/http-handler.js';
import { ListSessionsQuery } from './schemas.js';

/** GET /sessions?scenario=&media=: committed sessions newest first, of a scenario, on a media location, or all. */
export const handler = httpHandler({ query: ListSessionsQuery }, async ({ query, catalog }) => {
  let filter: SessionFilter;
  if (query.scenario) filter = { scenarioId: (await catalog.scenario(query.scenario, 'scenario')).id };
  const media = query.media ? parseMediaRef(query.media) : undefined;
  if (media) filter = { media };
  return { body: await catalog.sessions(filter, query.limit, query.next) };
});

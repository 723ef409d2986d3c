import { compilePattern } from '../../../core/file-index/wildcard.js';
import { queryNames } from '../../repositories/file-index.js';
import { httpHandler } from '../../shared/http-handler.js';
import { RestoreQueryQuery } from './schemas.js';

/** GET /restore/query?pattern=&scenario=: restore by query — wildcard file names over committed sessions. */
export const handler = httpHandler({ query: RestoreQueryQuery }, async ({ query, catalog }) => {
  const started = performance.now();
  const pattern = compilePattern(query.pattern, 'pattern');
  const scenario = query.scenario ? await catalog.scenario(query.scenario, 'scenario') : undefined;
  const sessions = await catalog.allSessions(scenario ? { scenarioId: scenario.id } : undefined);
  const result = await queryNames(sessions, pattern, query.limit);
  return { body: { pattern: query.pattern, ...result, elapsedMs: Math.round(performance.now() - started) } };
});

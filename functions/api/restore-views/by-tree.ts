import { TidemarkError } from '../../../core/error-catalogue.js';
import type { Session } from '../../../core/session.js';
import { loadNameIndex } from '../../repositories/file-index.js';
import { getSessions, recoveryPointNumbers } from '../../repositories/sessions.js';
import { httpHandler } from '../../shared/http-handler.js';
import { RestoreTreeQuery } from './schemas.js';

/**
 * GET /restore/tree?scenario=&path=&session=: restore by tree — the recovery
 * points of a master path (committed sessions that hold it, newest first)
 * and its children at one of them. Served from the sessions' name indexes
 * until the backup engine's manifests carry attributes.
 */
export const handler = httpHandler({ query: RestoreTreeQuery }, async ({ query, catalog }) => {
  const scenario = await catalog.scenario(query.scenario, 'scenario');
  const path = query.path.length > 1 ? query.path.replace(/\/+$/, '') : query.path;
  const candidates = await getSessions(await recoveryPointNumbers(scenario.id, path));
  // A path above the scenario's roots has no recovery-point items of its own: its sessions are those below it.
  const below = path === '/' ? '/' : `${path}/`;
  if (scenario.roots.some((root) => root.startsWith(below))) {
    const known = new Set(candidates.map((s) => s.number));
    for (const session of await catalog.allSessions({ scenarioId: scenario.id })) {
      if (!known.has(session.number) && session.masterPaths.some((p) => p.startsWith(below)))
        candidates.push(session);
    }
  }
  candidates.sort((a, b) => b.number - a.number);
  const holding: Array<{ session: Session; index: Awaited<ReturnType<typeof loadNameIndex>> }> = [];
  for (const session of candidates) {
    const index = await loadNameIndex(session);
    if (index.has(path)) holding.push({ session, index });
  }
  if (holding.length === 0) {
    throw new TidemarkError(
      'NotFound',
      `no committed session of scenario '${scenario.name}' holds ${path}`,
      404,
      'path',
    );
  }
  const chosen =
    query.session === undefined ? holding[0] : holding.find((h) => h.session.number === query.session);
  if (!chosen) {
    throw new TidemarkError(
      'NotFound',
      `session ${query.session} is not a recovery point of ${path}`,
      404,
      'session',
    );
  }
  const children = chosen.index.children(path);
  return {
    body: {
      scenarioId: scenario.id,
      path,
      type: children ? 'directory' : 'file',
      recoveryPoints: holding.map(({ session }) => ({
        number: session.number,
        entity: session.entity,
        startedAt: session.startedAt,
        endedAt: session.endedAt,
        tier: session.media.tier,
        applicationConsistent: session.applicationConsistent,
      })),
      session: chosen.session.number,
      entries: children ?? [],
    },
  };
});

/**
 * Rewind points in the catalog: a mirror of each replica's undo journal.
 * A replica reports its whole list; `replaceRewindPoints` writes the new
 * points and removes that host's points that fell off its journal (or were
 * rewound past), so a retried or repeated report changes nothing.
 */
import { CatalogRewindPoint, type RewindPoint } from '../../core/rewind-point.js';
import { catalogKeys, withoutKeys } from '../../core/table.js';
import { queryAll } from './partition-query.js';
import { type WriteRequest, writeAll } from './table.js';

/** The scenario's points on every replica, oldest first. */
export async function listRewindPoints(scenarioId: string): Promise<CatalogRewindPoint[]> {
  const items = await queryAll({ pk: catalogKeys.rewindPointsOf(scenarioId).PK, forward: true });
  return items.map((item) => CatalogRewindPoint.parse(withoutKeys(item)));
}

/** Makes the catalog hold exactly `points` for the scenario on `host`; answers what was added and removed. */
export async function replaceRewindPoints(
  scenarioId: string,
  host: string,
  points: readonly RewindPoint[],
): Promise<{ added: number; removed: number }> {
  const held = (await listRewindPoints(scenarioId)).filter((p) => p.host === host);
  const heldIds = new Set(held.map((p) => p.id));
  const reportedIds = new Set(points.map((p) => p.id));
  const key = (p: RewindPoint) => catalogKeys.rewindPoint(scenarioId, p.createdAt, p.id);
  const writes: WriteRequest[] = [
    ...points
      .filter((p) => !heldIds.has(p.id))
      .map((p) => ({ PutRequest: { Item: { ...key(p), ...p, scenarioId, host } } })),
    ...held.filter((p) => !reportedIds.has(p.id)).map((p) => ({ DeleteRequest: { Key: key(p) } })),
  ];
  await writeAll(writes);
  const added = writes.filter((w) => 'PutRequest' in w).length;
  return { added, removed: writes.length - added };
}

/**
 * Rewind points in the catalog: a mirror of each replica's undo journal.
 * The replica reports its whole list; `replaceRewindPoints` writes the new
 * points and removes those that fell off the journal (or were rewound past),
 * so a retried or repeated report changes nothing.
 */
import { RewindPoint } from '../../core/rewind-point.js';
import { catalogKeys, withoutKeys } from '../../core/table.js';
import { queryAll } from './partition-query.js';
import { type WriteRequest, writeAll } from './table.js';

/** The scenario's points, oldest first. */
export async function listRewindPoints(scenarioId: string): Promise<RewindPoint[]> {
  const items = await queryAll({ pk: catalogKeys.rewindPointsOf(scenarioId).PK, forward: true });
  return items.map((item) => RewindPoint.parse(withoutKeys(item)));
}

/** Makes the catalog hold exactly `points` for the scenario; answers what was added and removed. */
export async function replaceRewindPoints(
  scenarioId: string,
  points: readonly RewindPoint[],
): Promise<{ added: number; removed: number }> {
  const held = await listRewindPoints(scenarioId);
  const heldIds = new Set(held.map((p) => p.id));
  const reportedIds = new Set(points.map((p) => p.id));
  const writes: WriteRequest[] = [
    ...points
      .filter((p) => !heldIds.has(p.id))
      .map((p) => ({
        PutRequest: { Item: { ...catalogKeys.rewindPoint(scenarioId, p.createdAt, p.id), ...p, scenarioId } },
      })),
    ...held
      .filter((p) => !reportedIds.has(p.id))
      .map((p) => ({ DeleteRequest: { Key: catalogKeys.rewindPoint(scenarioId, p.createdAt, p.id) } })),
  ];
  await writeAll(writes);
  const added = writes.filter((w) => 'PutRequest' in w).length;
  return { added, removed: writes.length - added };
}

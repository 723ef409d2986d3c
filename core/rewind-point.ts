/**
 * Rewind points: bookmarks in a replica's undo journal that data rewind can
 * roll the replica back to. The replica agent takes them (every
 * `rewindIntervalMinutes`, at each suspend and snapshot, and on demand) and
 * reports its whole list whenever it changes, so the catalog mirrors the
 * journal: a point that fell off the journal leaves the catalog too.
 */
import { z } from 'zod';

/** Why a point exists: the interval timer, an operator's bookmark, a suspend, a backup's snapshot. */
export const RewindPointEvent = z.enum(['scheduled', 'bookmark', 'suspend', 'backup']);
export type RewindPointEvent = z.infer<typeof RewindPointEvent>;

export const RewindPoint = z.object({
  id: z.string().min(1).max(100),
  scenarioId: z.string().min(1).max(100),
  createdAt: z.iso.datetime(),
  event: RewindPointEvent,
  label: z.string().min(1).max(200).optional(),
});
export type RewindPoint = z.infer<typeof RewindPoint>;

/** A point as the catalog lists it: with the replica host whose journal holds it. */
export const CatalogRewindPoint = RewindPoint.extend({ host: z.string().min(1) });
export type CatalogRewindPoint = z.infer<typeof CatalogRewindPoint>;

/** A journal holds at most this many points (agent/replication/undo-journal.ts MAX_POINTS). */
export const MAX_REWIND_POINTS = 1000;

/** PUT /agent/scenarios/{scenarioId}/rewind-points: the replica's whole list, oldest first. */
export const ReportRewindPointsRequest = z.strictObject({
  points: z.array(RewindPoint).max(MAX_REWIND_POINTS),
});
export type ReportRewindPointsRequest = z.infer<typeof ReportRewindPointsRequest>;

/** POST /scenarios/{scenarioId}/rewind-points: a named bookmark, taken now. */
export const CreateBookmarkRequest = z.strictObject({ label: z.string().min(1).max(200) });

/** POST /scenarios/{scenarioId}/rewind: roll the replica back to a point. */
export const RewindRequest = z.strictObject({ point: z.string().min(1).max(100) });

/** Request and response shapes of the restore views (also their OpenAPI doc). */
import { z } from 'zod';
import { AbsolutePath } from '../../../core/scenario.js';
import { MediaTier, Session, SessionNumber } from '../../../core/session.js';
import { PageQuery, ScenarioQueryRef } from '../sessions/schemas.js';

export const RestoreSessionsQuery = z.strictObject({ scenario: ScenarioQueryRef, ...PageQuery });

export const RestoreTreeQuery = z.strictObject({
  scenario: ScenarioQueryRef,
  path: AbsolutePath.default('/'),
  /** The recovery point to browse; the newest when absent. */
  session: SessionNumber.optional(),
});

export const RecoveryPoint = z.object({
  number: z.number().int(),
  entity: z.string(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  tier: MediaTier,
  applicationConsistent: z.boolean(),
});

export const TreeView = z.object({
  scenarioId: z.string(),
  path: z.string(),
  type: z.enum(['directory', 'file']),
  /** Committed sessions that hold the path, newest first. */
  recoveryPoints: z.array(RecoveryPoint),
  /** The recovery point `entries` come from. */
  session: z.number().int(),
  entries: z.array(z.object({ name: z.string(), path: z.string(), type: z.enum(['directory', 'file']) })),
});

export const RestoreQueryQuery = z.strictObject({
  pattern: z.string().max(1024),
  scenario: ScenarioQueryRef.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

export const QueryView = z.object({
  pattern: z.string(),
  matches: z.array(z.object({ sessionNumber: z.number().int(), scenarioId: z.string(), path: z.string() })),
  total: z.number().int(),
  truncated: z.boolean(),
  sessionsSearched: z.number().int(),
  filesSearched: z.number().int(),
  elapsedMs: z.number(),
});

export const RestoreSessionsView = z.object({
  scenarioId: z.string(),
  sessions: z.array(Session),
  next: z.string().optional(),
});

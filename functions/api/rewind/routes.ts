/** Data rewind: rewind points (listed, bookmarked, reported by replicas) and the rewind itself. */
import { z } from 'zod';
import { Command } from '../../../core/command.js';
import {
  CatalogRewindPoint,
  CreateBookmarkRequest,
  ReportRewindPointsRequest,
  RewindRequest,
} from '../../../core/rewind-point.js';
import { ScenarioView } from '../../../core/scenario-status.js';
import type { Route } from '../routes.js';

const SentCommands = z.array(
  Command.pick({ id: true, hostId: true, kind: true }).extend({ host: z.string() }),
);

export const REWIND_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/scenarios/{scenarioId}/rewind-points',
    handler: 'functions/api/rewind/list-rewind-points.ts',
    access: 'viewer',
    doc: {
      summary: "The rewind points in each replica's undo journal, oldest first",
      response: z.object({ scenarioId: z.string(), points: z.array(CatalogRewindPoint) }),
    },
  },
  {
    method: 'POST',
    path: '/scenarios/{scenarioId}/rewind-points',
    handler: 'functions/api/rewind/create-bookmark.ts',
    access: 'operator',
    doc: {
      summary: 'Take a named bookmark now: a rewind_point command to every replica',
      body: CreateBookmarkRequest,
      response: z.object({ scenario: ScenarioView, commands: SentCommands }),
      status: 202,
    },
  },
  {
    method: 'POST',
    path: '/scenarios/{scenarioId}/rewind',
    handler: 'functions/api/rewind/rewind-scenario.ts',
    access: 'operator',
    doc: {
      summary:
        "Stop the scenario and roll the point's replica back to it; 404 AE0475 for an unknown point, 409 AE0470 while a job holds the scenario",
      body: RewindRequest,
      response: z.object({ scenario: ScenarioView, point: CatalogRewindPoint, commands: SentCommands }),
      status: 202,
    },
  },
  {
    method: 'POST',
    path: '/agent/scenarios/{scenarioId}/rewind-points',
    handler: 'functions/api/rewind/report-rewind-points.ts',
    access: 'agent',
    doc: {
      summary: 'A replica reports every point its undo journal holds; the catalog is made to match',
      body: ReportRewindPointsRequest,
      response: z.object({ added: z.number(), removed: z.number() }),
    },
  },
];

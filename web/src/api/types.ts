/** The API's response shapes, taken from the schemas the handlers answer with (types only: nothing is bundled). */
import type { z } from 'zod';
import type { ActivityEntry } from '../../../core/activity.js';
import type { RewindOutput } from '../../../core/agent-commands.js';
import type { Command } from '../../../core/command.js';
import type { ScenarioEventRecord } from '../../../core/event.js';
import type { Host } from '../../../core/host.js';
import type { Job } from '../../../core/job.js';
import type { CatalogRewindPoint } from '../../../core/rewind-point.js';
import type { ScenarioView } from '../../../core/scenario-status.js';
import type { Session } from '../../../core/session.js';
import type {
  QueryView,
  RestoreSessionsView,
  TreeView,
} from '../../../functions/api/restore-views/schemas.js';

export type {
  ActivityEntry,
  CatalogRewindPoint,
  Host,
  Job,
  RewindOutput,
  ScenarioEventRecord,
  ScenarioView,
  Session,
};

export interface RewindPointPage {
  scenarioId: string;
  points: CatalogRewindPoint[];
}
/** What POST /scenarios/{id}/rewind and …/rewind-points answer. */
export interface SentCommands {
  scenario: ScenarioView;
  commands: Array<Pick<Command, 'id' | 'hostId' | 'kind'> & { host: string }>;
}
/** GET /scenarios/{id}/commands/{commandId}. */
export type CommandStatusBody = Omit<Command, 'args'>;
export type TreeViewBody = z.infer<typeof TreeView>;
export type QueryViewBody = z.infer<typeof QueryView>;
export type RestoreSessionsBody = z.infer<typeof RestoreSessionsView>;

export interface HostPage {
  hosts: Host[];
  next?: string;
}
export interface ScenarioPage {
  scenarios: ScenarioView[];
  next?: string;
}
export interface JobPage {
  jobs: Job[];
  next?: string;
}
export interface SessionPage {
  sessions: Session[];
  next?: string;
}
export interface ActivityPage {
  jobId: string;
  entries: ActivityEntry[];
  next?: string;
}
export interface EventPage {
  scenarioId: string;
  events: ScenarioEventRecord[];
  next?: string;
}

/**
 * Commands: the control plane's requests to an agent. A workflow step that
 * needs a host writes one (with its Step Functions task token); the agent
 * long-polls for it, runs it, heartbeats, and posts the outcome.
 */
import { z } from 'zod';
import { type CatalogueCode, ERROR_CATALOGUE } from './error-catalogue.js';

export const CommandKind = z.enum([
  'start',
  'stop',
  'suspend',
  'resume',
  'snapshot',
  'release_snapshots',
  'backup',
  'restore',
  'discover',
  'test',
  'send_checksums',
  'rewind_point',
  'rewind',
]);
export type CommandKind = z.infer<typeof CommandKind>;

export const CommandStatus = z.enum(['pending', 'running', 'succeeded', 'failed']);
export type CommandStatus = z.infer<typeof CommandStatus>;

const catalogueCodes = Object.keys(ERROR_CATALOGUE) as [CatalogueCode, ...CatalogueCode[]];
export const CatalogueCodeSchema = z.enum(catalogueCodes);

export const Command = z.object({
  id: z.string(),
  hostId: z.string(),
  kind: CommandKind,
  args: z.record(z.string(), z.unknown()),
  status: CommandStatus,
  createdAt: z.iso.datetime(),
  /** After this instant nobody waits for the outcome any more: the workflow step has timed out. */
  deadline: z.iso.datetime(),
  claimedAt: z.iso.datetime().optional(),
  /** The run of the agent (one process start) whose poll claimed it, when the poll named one. */
  claimedByRun: z.string().optional(),
  /** Times the command was delivered again to its own host after a poll response was lost. */
  redeliveries: z.number().int().min(0).optional(),
  finishedAt: z.iso.datetime().optional(),
  lastHeartbeatAt: z.iso.datetime().optional(),
  output: z.unknown().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type Command = z.infer<typeof Command>;

/** What an agent sees of a command: never the task token. */
export type AgentCommand = Pick<Command, 'id' | 'kind' | 'args' | 'deadline'>;

export const CommandResult = z.discriminatedUnion('status', [
  z.strictObject({ status: z.literal('succeeded'), output: z.unknown().optional() }),
  z.strictObject({
    status: z.literal('failed'),
    code: CatalogueCodeSchema,
    message: z.string().min(1).max(4000),
  }),
]);
export type CommandResult = z.infer<typeof CommandResult>;

/** The payload a workflow's waitForTaskToken step hands to the dispatch function. */
export const DispatchRequest = z.object({
  hostId: z.string().min(1),
  kind: CommandKind,
  args: z.record(z.string(), z.unknown()).default({}),
  taskToken: z.string().min(1),
  timeoutSeconds: z.number().int().min(1).max(86_400).default(180),
});
export type DispatchRequest = z.infer<typeof DispatchRequest>;

export const PollCommandsQuery = z.object({
  waitSeconds: z.coerce.number().int().min(0).max(25).default(20),
  /**
   * Ids of the commands the agent is running, comma-separated. A command claimed for the host but
   * not among them was lost on its way (a poll response that never arrived, an agent restarted) and
   * is delivered again.
   */
  running: z
    .string()
    .max(2000)
    .regex(/^(c-[\w-]+(,c-[\w-]+)*)?$/, 'running: command ids separated by commas')
    .default('')
    .transform((v) => (v === '' ? [] : v.split(','))),
  /**
   * This run of the agent: random at each process start. A command claimed for the host by an earlier
   * run is not running anywhere (that process is gone) and is delivered again at once.
   */
  run: z
    .string()
    .regex(/^[0-9a-f]{16,64}$/, 'run: 16 to 64 hex digits')
    .optional(),
});

/**
 * Scenarios: what is protected and how. One master, one or more replicas,
 * the master's root directories, the application type and its options.
 * Shared by the API (catalog), the workflows and the agent.
 */
import { z } from 'zod';
import { HostName } from './host.js';

export const ScenarioType = z.enum(['fileserver', 'sqlserver', 'exchange', 'postgresql']);
export type ScenarioType = z.infer<typeof ScenarioType>;

export const ScenarioState = z.enum([
  'stopped',
  'synchronizing',
  'replicating',
  'suspended',
  'problem',
  'not_authorized',
]);
export type ScenarioState = z.infer<typeof ScenarioState>;

/** An absolute POSIX path without `.`/`..` segments or NUL bytes. */
export const AbsolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine(
    (p) => p.startsWith('/') && !p.includes('\0') && !p.split('/').some((s) => s === '.' || s === '..'),
    {
      message: 'must be an absolute path without . or .. segments',
    },
  );

/** Bytes per second allowed for each hour of the day (0–23, the replica's local time); absent hours are unlimited. */
export const BandwidthSchedule = z.array(
  z.strictObject({
    fromHour: z.number().int().min(0).max(23),
    toHour: z.number().int().min(1).max(24),
    bytesPerSecond: z.number().int().min(1024),
  }),
);

export const ScenarioOptions = z.strictObject({
  /** How a backup freezes the replica: absent means neither, which a backup refuses with AE0471. */
  mode: z.enum(['suspend', 'assured_recovery']).optional(),
  /** Snapshots kept per scenario; absent keeps all (file server) — database types default to 10 (see `snapshotRetentionOf`). */
  snapshotRetention: z.number().int().min(1).max(1000).optional(),
  spoolThresholdBytes: z
    .number()
    .int()
    .min(1024 * 1024)
    .default(10 * 1024 ** 3),
  bandwidth: BandwidthSchedule.default([]),
  agentTimeoutSeconds: z.number().int().min(5).max(86_400).default(180),
  continueRestoreIfCannotStop: z.boolean().default(false),
  replicateAcl: z.boolean().default(true),
  syncMode: z.enum(['file', 'block']).default('block'),
  /** Minutes between the replica's automatic rewind points (0: only at suspends, backups and bookmarks). */
  rewindIntervalMinutes: z.number().int().min(0).max(1440).default(5),
  /** Bytes the replica's undo journal may hold before its oldest rewind points fall off. */
  rewindJournalBytes: z
    .number()
    .int()
    .min(1024 * 1024)
    .default(1024 ** 3),
  /** The master sends the replica a frame at least this often; the replica's is-alive check counts in these. */
  masterCheckSeconds: z.number().int().min(1).max(3600).default(10),
  /** Intervals of silence after which the replica reports its master lost (alert master_lost). */
  masterCheckMisses: z.number().int().min(1).max(100).default(3),
});
export type ScenarioOptions = z.infer<typeof ScenarioOptions>;

/** System trees no replica may write into, nor anything below them. */
const SYSTEM_TREES = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/run',
  '/sbin',
  '/sys',
  '/usr',
  '/var/lib/dpkg',
  '/var/log',
  '/var/run',
  '/var/spool',
];
/** Folders that hold other data: a replica may live below them, not as them. */
const SHARED_FOLDERS = ['/', '/home', '/mnt', '/media', '/opt', '/root', '/srv', '/tmp', '/var', '/var/lib'];

/**
 * Why a directory cannot hold a replica, or undefined: the replica applier
 * creates, overwrites and deletes anything below its directory as the master
 * says, so `/`, a system tree or a folder shared with other data would let a
 * master (or a mistyped definition) rewrite the replica host itself.
 */
export function replicaDirectoryRefusal(directory: string): string | undefined {
  const normal = directory.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  if (SHARED_FOLDERS.includes(normal)) {
    return `${normal} holds other data; give the replica a folder of its own below it, such as ${normal === '/' ? '' : normal}/tidemark/<scenario>`;
  }
  const tree = SYSTEM_TREES.find((t) => normal === t || normal.startsWith(`${t}/`));
  if (tree) return `${normal} is inside the system tree ${tree}; a replica must not write there`;
  return undefined;
}

/**
 * A replica: the host and the directory its copy lives under. A master root
 * `/srv/share` is kept at `<directory>/srv/share` on the replica, so every
 * scenario on a replica host is isolated in its own folder.
 */
export const ReplicaSpec = z.strictObject({
  host: HostName,
  directory: AbsolutePath.superRefine((directory, context) => {
    const refusal = replicaDirectoryRefusal(directory);
    if (refusal) context.addIssue({ code: 'custom', message: refusal });
  }),
});
export type ReplicaSpec = z.infer<typeof ReplicaSpec>;

/** A unit of backup inside a scenario: a volume's files, one database, one storage group. */
export const Entity = z.object({
  name: z.string().min(1).max(255),
  kind: z.enum(['volume', 'database', 'storage_group']),
  /** Master paths that make up the entity. */
  paths: z.array(AbsolutePath).min(1),
});
export type Entity = z.infer<typeof Entity>;

export const ScenarioName = z
  .string()
  .min(1)
  .max(100)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9 _.-]*$/,
    'must start with a letter or digit and use letters, digits, spaces, _ . -',
  );

export const CreateScenarioRequest = z.strictObject({
  name: ScenarioName,
  type: ScenarioType,
  master: HostName,
  replicas: z.array(ReplicaSpec).min(1).max(16),
  roots: z.array(AbsolutePath).min(1).max(64),
  options: ScenarioOptions.default(ScenarioOptions.parse({})),
});
export type CreateScenarioRequest = z.infer<typeof CreateScenarioRequest>;

export const Scenario = CreateScenarioRequest.extend({
  id: z.string(),
  state: ScenarioState,
  entities: z.array(Entity),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** Optimistic-locking counter: every update is conditional on it. */
  version: z.number().int().min(1),
});
export type Scenario = z.infer<typeof Scenario>;

const DATABASE_TYPES: readonly ScenarioType[] = ['sqlserver', 'exchange', 'postgresql'];

/** Snapshots to keep: the option, else 10 for database scenarios, else all (undefined). */
export function snapshotRetentionOf(scenario: Pick<Scenario, 'type' | 'options'>): number | undefined {
  return scenario.options.snapshotRetention ?? (DATABASE_TYPES.includes(scenario.type) ? 10 : undefined);
}

/** Where a master path lives on a replica. */
export function replicaPathOf(replica: ReplicaSpec, masterPath: string): string {
  return `${replica.directory.replace(/\/+$/, '')}${masterPath}`;
}

/** Operator actions on a scenario: the states each may start from and the state it leads to. */
export const SCENARIO_ACTIONS = {
  run: { from: ['stopped', 'problem'], to: 'synchronizing' },
  stop: { from: ['synchronizing', 'replicating', 'suspended', 'problem', 'not_authorized'], to: 'stopped' },
  /** Discovery reads the master; it does not change the state. */
  discover: { from: ScenarioState.options, to: undefined },
  /** Editing or deleting a definition is only safe while nothing runs it. */
  edit: { from: ['stopped'], to: undefined },
} as const satisfies Record<string, { from: readonly ScenarioState[]; to: ScenarioState | undefined }>;
export type ScenarioAction = keyof typeof SCENARIO_ACTIONS;

/** Why an action cannot run on a scenario in its state, or undefined when it can. */
export function scenarioActionRefusal(
  scenario: Pick<Scenario, 'name' | 'state'>,
  action: ScenarioAction,
): string | undefined {
  const allowed: readonly ScenarioState[] = SCENARIO_ACTIONS[action].from;
  if (allowed.includes(scenario.state)) return undefined;
  return `scenario '${scenario.name}' is ${scenario.state}; ${action} needs it ${allowed.join(' or ')}`;
}

/** Every option may be changed; `mode: null` clears the mode. No defaults: absent means unchanged. */
export const ScenarioOptionsPatch = z.strictObject({
  mode: z.enum(['suspend', 'assured_recovery']).nullable().optional(),
  snapshotRetention: z.number().int().min(1).max(1000).nullable().optional(),
  spoolThresholdBytes: z
    .number()
    .int()
    .min(1024 * 1024)
    .optional(),
  bandwidth: BandwidthSchedule.optional(),
  agentTimeoutSeconds: z.number().int().min(5).max(86_400).optional(),
  continueRestoreIfCannotStop: z.boolean().optional(),
  replicateAcl: z.boolean().optional(),
  syncMode: z.enum(['file', 'block']).optional(),
  rewindIntervalMinutes: z.number().int().min(0).max(1440).optional(),
  rewindJournalBytes: z
    .number()
    .int()
    .min(1024 * 1024)
    .optional(),
  masterCheckSeconds: z.number().int().min(1).max(3600).optional(),
  masterCheckMisses: z.number().int().min(1).max(100).optional(),
});

export const UpdateScenarioRequest = z.strictObject({
  /** When given, the update applies only to this version (optimistic locking from the caller). */
  version: z.number().int().min(1).optional(),
  options: ScenarioOptionsPatch.optional(),
  roots: z.array(AbsolutePath).min(1).max(64).optional(),
  replicas: z.array(ReplicaSpec).min(1).max(16).optional(),
});
export type UpdateScenarioRequest = z.infer<typeof UpdateScenarioRequest>;

/** Applies an options patch: null clears, absent keeps. */
export function patchOptions(
  current: ScenarioOptions,
  patch: z.infer<typeof ScenarioOptionsPatch>,
): ScenarioOptions {
  const merged: Record<string, unknown> = { ...current };
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete merged[name];
    else if (value !== undefined) merged[name] = value;
  }
  return ScenarioOptions.parse(merged);
}

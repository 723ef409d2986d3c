/**
 * The arguments and outputs of every command a workflow sends to an agent,
 * one zod schema each. The dispatch step writes `args`, the agent's
 * dispatcher parses them with these schemas (AE0468 when they do not fit),
 * and the next workflow step parses the agent's `output`. Both sides import
 * this file, so the contract is written once.
 */
import { z } from 'zod';
import { AbsolutePath, Entity, Scenario } from './scenario.js';
import { Media, SessionNumber } from './session.js';

/** Where a scenario's backups live: the media bucket, `repos/<scenarioId>` and the KMS key that wraps the repository key. */
export const RepositoryLocation = z.object({
  bucket: z.string().min(3).max(63),
  /** `repos/<scenarioId>`: one deduplicating repository per scenario. */
  prefix: z.string().min(1).max(512),
  kmsKeyId: z.string().min(1),
  /** The catalog already holds sessions here: a missing repository config is then an error, never a new repository. */
  cataloged: z.boolean().default(false),
});
export type RepositoryLocation = z.infer<typeof RepositoryLocation>;

/** The repository of a scenario. */
export function repositoryPrefixOf(scenarioId: string): string {
  return `repos/${scenarioId}`;
}

export const ScenarioRefArgs = z.object({ scenarioId: z.string().min(1), scenarioName: z.string().min(1) });

// suspend / resume (replica): ScenarioRefArgs in, nothing out.

/** snapshot (replica): take a copy-on-write snapshot of the scenario's replica data. */
export const SnapshotArgs = ScenarioRefArgs.extend({ jobId: z.string().min(1) });
export const SnapshotOutput = z.object({
  snapshotId: z.string().min(1),
  takenAt: z.iso.datetime(),
  /** How long apply was paused to take it. */
  pauseMs: z.number().min(0),
});
export type SnapshotOutput = z.infer<typeof SnapshotOutput>;

/** test (replica, assured recovery): check the application on a writable overlay of a snapshot, then discard it. */
/** send_checksums (master): the master's checksums of its files go down the stream to every replica, for assured recovery. */
export const SendChecksumsOutput = z.object({
  /** Files whose checksum was sent. */
  files: z.number().int().nonnegative(),
  /** Files left out because they changed since they were captured (they are compared with the snapshot only). */
  skipped: z.number().int().nonnegative(),
  /** Per replica host name: the stream position a replica must have applied to hold every checksum. */
  throughSeq: z.record(z.string(), z.number().int().nonnegative()),
});
export type SendChecksumsOutput = z.infer<typeof SendChecksumsOutput>;

/** test (replica): assured recovery; with the master's checksums when the workflow asked the master first. */
export const AssuredRecoveryArgs = ScenarioRefArgs.extend({
  jobId: z.string().min(1),
  scenario: Scenario,
  masterChecksums: SendChecksumsOutput.optional(),
});
export const AssuredRecoveryOutput = z.object({
  passed: z.boolean(),
  /** Human-readable lines of the AR report. */
  report: z.array(z.string()),
});

/** One entity's session: its number is allocated by the workflow before the agent starts. */
export const PlannedSession = z.object({ number: SessionNumber, entity: Entity });
export type PlannedSession = z.infer<typeof PlannedSession>;

/** backup (replica): back up each entity from the snapshot as its own session. */
export const BackupArgs = z.object({
  jobId: z.string().min(1),
  scenario: Scenario,
  snapshotId: z.string().min(1),
  repository: RepositoryLocation,
  sessions: z.array(PlannedSession).min(1),
  /** Marks the sessions application-consistent (an assured-recovery test passed on this snapshot's data). */
  applicationConsistent: z.boolean().default(false),
});
export type BackupArgs = z.infer<typeof BackupArgs>;

/** What the agent reports of each session once its data, index and manifest are durable. */
export const BackedUpSession = z.object({
  number: SessionNumber,
  entity: z.string().min(1),
  masterHost: z.string().min(1),
  masterPaths: z.array(AbsolutePath).min(1),
  media: Media,
  bytes: z.number().int().min(0),
  /** Bytes actually stored (new chunks after dedup and compression). */
  storedBytes: z.number().int().min(0),
  files: z.number().int().min(0),
  directories: z.number().int().min(0),
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime(),
  encryptionKeyId: z.string().min(1),
  /** The name index the agent wrote (core/file-index codec) for restore by query and tree. */
  nameIndex: z.object({
    key: z.string().min(1),
    names: z.number().int().min(0),
    sha256: z.string().length(64),
  }),
});
export type BackedUpSession = z.infer<typeof BackedUpSession>;
export const BackupOutput = z.object({ sessions: z.array(BackedUpSession) });
export type BackupOutput = z.infer<typeof BackupOutput>;

/** release_snapshots (replica): keep the newest `keep` snapshots of the scenario (all when absent). */
export const ReleaseSnapshotsArgs = ScenarioRefArgs.extend({ keep: z.number().int().min(1).optional() });
export const ReleaseSnapshotsOutput = z.object({
  released: z.array(z.string()),
  kept: z.number().int().min(0),
});

/** rewind_point (replica): a named bookmark in the undo journal, taken now. */
export const RewindPointArgs = z.object({ scenario: Scenario, label: z.string().min(1).max(200) });

/** rewind (replica): stop the scenario on the replica and roll its data back to a rewind point (the scenario names the replica folder). */
export const RewindArgs = z.object({ scenario: Scenario, pointId: z.string().min(1).max(100) });
export const RewindOutput = z.object({
  pointId: z.string(),
  /** Journal entries played back (one per change undone). */
  entriesUndone: z.number().int().min(0),
  /** Distinct master paths the rewind touched. */
  pathsChanged: z.number().int().min(0),
  /** The first changed master paths, sorted. */
  paths: z.array(z.string()),
  /** What the rewind could not vouch for (the agent stopped uncleanly after the point). */
  warnings: z.array(z.string()).default([]),
});
export type RewindOutput = z.infer<typeof RewindOutput>;

/** restore (destination host): write a session's files under `destination`. */
export const RestoreArgs = z.object({
  jobId: z.string().min(1),
  scenarioId: z.string().min(1),
  repository: RepositoryLocation,
  sessionNumber: SessionNumber,
  /** Master paths to restore (files or directories); absent restores the whole session. */
  paths: z.array(AbsolutePath).optional(),
  /**
   * Where master paths land: `{directory}{masterPath}` — `directory` is `/`
   * for the original location on the master, the replica directory for the
   * replica, any folder for an alternate location.
   */
  directory: AbsolutePath,
  /** Files the application holds open: written beside as `<name>.TMP`. */
  heldOpen: z.array(AbsolutePath).default([]),
});
export type RestoreArgs = z.infer<typeof RestoreArgs>;
export const RestoreOutput = z.object({
  files: z.number().int().min(0),
  bytes: z.number().int().min(0),
  /** Files written beside their original as `.TMP` (replace them once the application lets go). */
  tmpFiles: z.array(z.string()),
  /** Packs that are in a Glacier tier and must be retrieved first (nothing was written). */
  needsRetrieval: z.array(z.string()).default([]),
});
export type RestoreOutput = z.infer<typeof RestoreOutput>;

/**
 * POST /agent/credentials: short-lived credentials for one scenario's media,
 * scoped to its repository prefix and KMS key, so backup data goes from the
 * agent straight to S3 without long-lived keys on the host.
 */
/** `POST /agent/credentials`: what an agent asks for before it touches a scenario's media. */
export const MediaCredentialsRequest = z.strictObject({
  scenarioId: z.string().min(1).max(100),
  /** backup: a replica adds sessions (no deletes); restore: the restore job's destination reads. */
  purpose: z.enum(['backup', 'restore']),
  /** Restore only: the active restore job whose destination is this host. */
  jobId: z.string().min(1).max(100).optional(),
});
export type MediaCredentialsRequest = z.infer<typeof MediaCredentialsRequest>;
export const MediaCredentials = z.object({
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().min(1),
  expiration: z.iso.datetime(),
  region: z.string().min(1),
  bucket: z.string().min(3).max(63),
  prefix: z.string().min(1).max(512),
  kmsKeyId: z.string().min(1),
});
export type MediaCredentials = z.infer<typeof MediaCredentials>;
export type ReleaseSnapshotsOutput = z.infer<typeof ReleaseSnapshotsOutput>;
export type AssuredRecoveryOutput = z.infer<typeof AssuredRecoveryOutput>;

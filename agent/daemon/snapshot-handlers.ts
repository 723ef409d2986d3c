/**
 * The replica's snapshot commands: `snapshot` takes a copy-on-write
 * snapshot of a scenario's replica data (the provider pauses apply through
 * the engine's ApplyGate only while it records the generation), and
 * `release_snapshots` prunes a scenario's snapshots to the newest `keep`.
 * The provider refuses scenarios this host does not replicate (AE0463), so
 * an agent only ever snapshots its own replicas.
 */
import {
  ReleaseSnapshotsArgs,
  type ReleaseSnapshotsOutput,
  SnapshotArgs,
  type SnapshotOutput,
} from '../../core/agent-commands.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import type { ReplicationRuntime } from '../scenario-runtime.js';
import type { SnapshotProvider } from '../snapshots/snapshot-provider.js';
import type { CommandHandlers } from './dispatcher.js';
import { asCatalogueFailure } from './engine-failure.js';
import type { Logger } from './logger.js';

/** Where a backup's snapshot also leaves a rewind point (best effort: the backup never waits on it failing). */
export interface SnapshotRewindPoints {
  runtime: Pick<ReplicationRuntime, 'createRewindPoint'>;
  log: Logger;
}

export function snapshotHandlers(
  snapshots: SnapshotProvider,
  points?: SnapshotRewindPoints,
): CommandHandlers {
  return {
    snapshot: async (raw): Promise<SnapshotOutput> => {
      const { scenarioId, jobId } = SnapshotArgs.parse(raw);
      const info = await snapshots
        .take(scenarioId, `job ${jobId}`)
        .catch(asCatalogueFailure('AE0460', `snapshot of scenario ${scenarioId}`));
      await points?.runtime
        .createRewindPoint(scenarioId, 'backup', `job ${jobId}`)
        .catch((e: Error) =>
          points.log.warn('no rewind point at the snapshot', { scenarioId, error: e.message }),
        );
      return { snapshotId: info.id, takenAt: info.createdAt, pauseMs: info.pauseMs ?? 0 };
    },
    release_snapshots: async (raw): Promise<ReleaseSnapshotsOutput> => {
      const { scenarioId, keep } = ReleaseSnapshotsArgs.parse(raw);
      const fail = asCatalogueFailure('AE0461', `release of snapshots of scenario ${scenarioId}`);
      const before = await snapshots.list(scenarioId).catch(fail);
      if (keep === undefined) return { released: [], kept: before.length };
      const released = await snapshots.prune(scenarioId, keep).catch(fail);
      return { released, kept: before.length - released.length };
    },
  };
}

/** The snapshot a backup or a test reads, refused (AE0468) unless it belongs to the scenario. */
export async function snapshotOf(
  snapshots: SnapshotProvider,
  scenarioId: string,
  snapshotId: string,
): Promise<void> {
  const mine = await snapshots.list(scenarioId);
  if (!mine.some((info) => info.id === snapshotId))
    throw new TidemarkError('AE0468', `scenario ${scenarioId} has no snapshot ${snapshotId} on this host`);
}

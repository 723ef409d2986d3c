/**
 * The replica's `backup` command: each planned session (one entity) is read
 * from the snapshot through the copy-on-write view, replica paths mapped
 * back to the master's (`replicaPathOf`), and stored in the scenario's
 * repository as session `<number>`; then its name index is written beside
 * it. The output is the only thing the workflow commits to the catalog, so
 * a backup killed half-way leaves sessions no catalog entry names (their
 * unreferenced packs go to gc), and the restarted agent answers the command
 * as failed (AE0474, command-journal.ts). The control loop heartbeats the
 * command while it runs.
 */
import {
  type BackedUpSession,
  BackupArgs,
  type BackupOutput,
  type PlannedSession,
} from '../../core/agent-commands.js';
import { type ReplicaSpec, replicaPathOf, type Scenario } from '../../core/scenario.js';
import type { Media } from '../../core/session.js';
import { runBackup } from '../backup/backup.js';
import type { Repository } from '../backup/repository.js';
import type { SnapshotView } from '../backup/snapshot-view.js';
import { faultPoint } from '../fault-points.js';
import type { SnapshotProvider } from '../snapshots/snapshot-provider.js';
import type { CommandHandlers } from './dispatcher.js';
import { asCatalogueFailure } from './engine-failure.js';
import type { MediaAccess, MediaCredentialCache } from './media-credentials.js';
import { openMediaRepository } from './media-repository.js';
import { uploadNameIndex } from './name-index-upload.js';
import { replicaOfSelf } from './replica-of-self.js';
import { snapshotOf } from './snapshot-handlers.js';

export interface DataHandlerDeps {
  snapshots: SnapshotProvider;
  media: Pick<MediaCredentialCache, 'access'>;
}

interface SessionContext {
  scenario: Scenario;
  replica: ReplicaSpec;
  repo: Repository;
  view: SnapshotView;
  media: Media;
  access: MediaAccess;
}

async function backUpSession(context: SessionContext, planned: PlannedSession): Promise<BackedUpSession> {
  const { scenario, replica, repo, view, media } = context;
  const startedAt = new Date().toISOString();
  const sources = planned.entity.paths.map((masterPath) => ({
    viewPath: replicaPathOf(replica, masterPath),
    masterPath,
  }));
  const { manifest } = await runBackup({
    repo,
    view,
    sources,
    masterHost: scenario.master,
    entity: planned.entity.name,
    session: String(planned.number),
  });
  const nameIndex = await uploadNameIndex(
    { ...context.access, keyId: repo.config.kmsKeyId, scenarioId: scenario.id, media },
    planned.number,
    manifest,
  );
  return {
    number: planned.number,
    entity: planned.entity.name,
    masterHost: scenario.master,
    masterPaths: planned.entity.paths,
    media,
    bytes: manifest.stats.bytes,
    storedBytes: manifest.stats.storedBytes,
    files: manifest.stats.files,
    directories: manifest.entries.filter((entry) => entry.type === 'directory').length,
    startedAt,
    endedAt: new Date().toISOString(),
    encryptionKeyId: repo.config.kmsKeyId,
    nameIndex,
  };
}

export function backupHandlers({ snapshots, media }: DataHandlerDeps): CommandHandlers {
  return {
    backup: async (raw, { self, signal }): Promise<BackupOutput> => {
      const args = BackupArgs.parse(raw);
      const { scenario, repository } = args;
      const replica = replicaOfSelf(scenario, self);
      await snapshotOf(snapshots, scenario.id, args.snapshotId);
      const fail = asCatalogueFailure(
        'AE0458',
        `backup of scenario ${scenario.name} from ${args.snapshotId}`,
      );
      try {
        const access = await media.access(scenario.id, 'backup', repository, signal);
        const context: SessionContext = {
          scenario,
          replica,
          repo: await openMediaRepository(scenario.id, repository, { create: true }, access),
          view: await snapshots.view(args.snapshotId),
          media: { bucket: repository.bucket, prefix: repository.prefix, tier: 'STANDARD' },
          access,
        };
        const sessions: BackedUpSession[] = [];
        for (const planned of args.sessions) {
          signal.throwIfAborted(); // a stopping agent reports nothing rather than part of a job
          sessions.push(await backUpSession(context, planned));
        }
        // Manifests and name indexes are stored; the catalog commit waits for this output.
        faultPoint('backup.before-outcome');
        return { sessions };
      } catch (error) {
        return fail(error);
      }
    },
  };
}

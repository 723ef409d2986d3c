/**
 * The destination host's `restore` command (master, replica or any host):
 * the session's files (all, or the master paths asked for) are written
 * under `directory` + master path. Packs in a Glacier tier are reported in
 * `needsRetrieval` and nothing is written; files the application holds
 * open are written beside the original as `.TMP`. Writes into this host's
 * replica tree follow the replication engine's rules (replica-restore-guard).
 */
import path from 'node:path';
import { RestoreArgs, type RestoreOutput } from '../../core/agent-commands.js';
import { runRestore } from '../restore/restore.js';
import type { CommandHandlers } from './dispatcher.js';
import type { MediaCredentialCache } from './media-credentials.js';
import { openMediaRepository } from './media-repository.js';
import { guardReplicaRestore, type ReplicaRestoreGuardDeps } from './replica-restore-guard.js';

export function restoreHandlers(
  guard: ReplicaRestoreGuardDeps,
  media: Pick<MediaCredentialCache, 'access'>,
): CommandHandlers {
  return {
    restore: async (raw, { self, signal, noteScratch }): Promise<RestoreOutput> => {
      const args = RestoreArgs.parse(raw);
      const destinationOf = (masterPath: string) => path.join(args.directory, masterPath);
      const access = await media.access(args.scenarioId, 'restore', args.repository, signal, args.jobId);
      const repo = await openMediaRepository(
        args.scenarioId,
        args.repository,
        { session: args.sessionNumber },
        access,
      );
      // `heldOpen` names master paths, like `paths`: they land at their destination path.
      const heldOpen = new Set(args.heldOpen.map(destinationOf));
      const target = { scenarioId: args.scenarioId, self, directory: args.directory, paths: args.paths };
      const result = await guardReplicaRestore(guard, target, () =>
        runRestore({
          repo,
          session: String(args.sessionNumber),
          destination: args.directory,
          paths: args.paths,
          heldOpen,
          noteStaging: noteScratch,
        }),
      );
      return {
        files: result.entries,
        bytes: result.bytes,
        tmpFiles: result.writtenBeside.map((file) => file.writtenAs),
        needsRetrieval: result.needsRetrieval,
      };
    },
  };
}

/**
 * The replica's assured-recovery `test` command. It suspends apply first (the
 * architecture's "suspend → check → resume"), so the data checked is the data
 * the backup's snapshot then captures: the workflow takes that snapshot next
 * and resumes afterwards on every path, success or failure. Under the
 * suspension it takes its own snapshot, opens a writable copy of it, runs the
 * scenario type's application check on the copy (adapters in agent/adapters),
 * then discards the copy and releases the snapshot, whatever the outcome. A
 * check that runs and finds a problem is a result (`passed: false`, the
 * report says what); a check that cannot run at all is AE0457.
 */
import { AssuredRecoveryArgs, type AssuredRecoveryOutput } from '../../core/agent-commands.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import { replicaPathOf, type ScenarioType } from '../../core/scenario.js';
import type { ApplicationCheck } from '../adapters/application-check.js';
import { fileServerCheck } from '../adapters/file-server-check.js';
import { postgresCheck } from '../adapters/postgres-check.js';
import { openWritableOverlay } from '../adapters/writable-overlay.js';
import type { ReplicationRuntime } from '../scenario-runtime.js';
import type { SnapshotProvider } from '../snapshots/snapshot-provider.js';
import type { CommandHandlers } from './dispatcher.js';
import { asCatalogueFailure } from './engine-failure.js';
import { replicaOfSelf } from './replica-of-self.js';

const CHECKS: Partial<Record<ScenarioType, ApplicationCheck>> = {
  fileserver: fileServerCheck,
  postgresql: postgresCheck,
};

export function assuredRecoveryHandlers(
  snapshots: SnapshotProvider,
  runtime: Pick<ReplicationRuntime, 'suspend'>,
): CommandHandlers {
  return {
    test: async (raw, { self, signal }): Promise<AssuredRecoveryOutput> => {
      const { scenario, jobId } = AssuredRecoveryArgs.parse(raw);
      const replica = replicaOfSelf(scenario, self);
      const check = CHECKS[scenario.type];
      if (!check)
        throw new TidemarkError(
          'AE0457',
          `assured recovery has no application check for ${scenario.type} scenarios on this agent`,
        );
      const fail = asCatalogueFailure('AE0457', `assured recovery of scenario ${scenario.name}`);
      const roots = scenario.roots.map((root) => replicaPathOf(replica, root));
      // Left suspended on purpose: the workflow snapshots this same state for the backup, then resumes.
      await runtime.suspend(scenario.id).catch(fail);
      const snapshot = await snapshots.take(scenario.id, `assured recovery, job ${jobId}`).catch(fail);
      try {
        const view = await snapshots.view(snapshot.id);
        const overlay = await openWritableOverlay(view, roots);
        try {
          const result = await check({ view, overlay, roots, signal });
          return { passed: result.passed, report: [`snapshot ${snapshot.id}`, ...result.report] };
        } finally {
          await overlay.discard();
        }
      } catch (error) {
        return fail(error);
      } finally {
        await snapshots.release(snapshot.id).catch(() => undefined); // the test's own snapshot; a leftover is pruned by retention
      }
    },
  };
}

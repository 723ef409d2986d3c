/**
 * Assured recovery on the agents. On the master, `send_checksums` puts the
 * master's checksum of every file into the replication stream (see
 * agent/replication/master-checksums.ts) and answers how far the stream
 * must be applied to hold them. On the replica, `test` waits until apply
 * got that far, then suspends apply (the architecture's "suspend → check →
 * resume"), so the data checked is the data the backup's snapshot then
 * captures: the workflow takes that snapshot next and resumes afterwards on
 * every path, success or failure. Under the suspension it takes its own
 * snapshot, opens a writable copy of it, runs the scenario type's
 * application check on the copy (adapters in agent/adapters), then discards
 * the copy and releases the snapshot, whatever the outcome. A check that
 * runs and finds a problem is a result (`passed: false`, the report says
 * what); a check that cannot run at all is AE0457.
 */
import {
  AssuredRecoveryArgs,
  type AssuredRecoveryOutput,
  ScenarioRefArgs,
  type SendChecksumsOutput,
} from '../../core/agent-commands.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import { type ReplicaSpec, replicaPathOf, type ScenarioType } from '../../core/scenario.js';
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

type Runtime = Pick<
  ReplicationRuntime,
  'suspend' | 'statistics' | 'sendMasterChecksums' | 'appliedSeq' | 'takeMasterChecksums'
>;

const WAIT_POLL_MS = 50;

/** Waits until the replica applied the stream through `seq`, where the master's checksums end. */
async function appliedThrough(runtime: Runtime, scenarioId: string, seq: number, signal: AbortSignal) {
  while (runtime.appliedSeq(scenarioId) < seq) {
    if (runtime.statistics(scenarioId)?.state === 'suspended')
      throw new TidemarkError(
        'AE0457',
        `apply is suspended on this replica at stream position ${runtime.appliedSeq(scenarioId)}, so the master's checksums (through ${seq}) cannot arrive; resume replication and run the job again`,
      );
    if (signal.aborted) throw signal.reason;
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}

/** The master's checksums held on this replica and not touched since, by replica path. */
function masterChecksumsOf(
  runtime: Runtime,
  scenarioId: string,
  replica: ReplicaSpec,
  sent: SendChecksumsOutput,
  through: number,
) {
  const held = runtime.takeMasterChecksums(scenarioId);
  if (sent.files > 0 && held.receivedThrough < through)
    throw new TidemarkError(
      'AE0457',
      `this replica no longer holds the master's checksums (the agent restarted after receiving them, or the replica resynchronized); run the job again`,
    );
  return new Map([...held.checksums].map(([masterPath, sum]) => [replicaPathOf(replica, masterPath), sum]));
}

export function assuredRecoveryHandlers(snapshots: SnapshotProvider, runtime: Runtime): CommandHandlers {
  return {
    send_checksums: async (raw): Promise<SendChecksumsOutput> => {
      const { scenarioId } = ScenarioRefArgs.parse(raw);
      // The engine answers only for a scenario this host is the master of (AE0463 otherwise).
      return runtime.sendMasterChecksums(scenarioId);
    },
    test: async (raw, { self, signal }): Promise<AssuredRecoveryOutput> => {
      const { scenario, jobId, masterChecksums } = AssuredRecoveryArgs.parse(raw);
      const replica = replicaOfSelf(scenario, self);
      const check = CHECKS[scenario.type];
      if (!check)
        throw new TidemarkError(
          'AE0457',
          `assured recovery has no application check for ${scenario.type} scenarios on this agent`,
        );
      const fail = asCatalogueFailure('AE0457', `assured recovery of scenario ${scenario.name}`);
      const roots = scenario.roots.map((root) => replicaPathOf(replica, root));
      const through = masterChecksums?.throughSeq[replica.host];
      if (masterChecksums && through === undefined)
        throw new TidemarkError('AE0457', `the master sent no checksums to replica ${replica.host}`);
      if (through !== undefined) await appliedThrough(runtime, scenario.id, through, signal).catch(fail);
      // Left suspended on purpose: the workflow snapshots this same state for the backup, then resumes.
      await runtime.suspend(scenario.id).catch(fail);
      const snapshot = await snapshots.take(scenario.id, `assured recovery, job ${jobId}`).catch(fail);
      try {
        // Taken while apply is suspended: the checksums held describe exactly this snapshot.
        const master =
          masterChecksums && through !== undefined
            ? masterChecksumsOf(runtime, scenario.id, replica, masterChecksums, through)
            : undefined; // the workflow did not ask the master: the check compares with the snapshot only
        const view = await snapshots.view(snapshot.id);
        const overlay = await openWritableOverlay(view, roots);
        try {
          const result = await check({ view, overlay, roots, signal, master });
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

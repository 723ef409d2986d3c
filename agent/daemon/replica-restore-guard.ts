/**
 * A restore that writes into this host's replica tree of a scenario goes
 * around the applier, so two rules of the replication engine must hold by
 * hand: apply must not interleave with it (the ApplyGate is held for the
 * whole restore while the scenario runs here), and open copy-on-write
 * snapshots must keep their point-in-time content (every existing entry the
 * restore may replace is handed to the write hook first, as apply would).
 * Restores elsewhere (the master's own tree, an alternate folder) need
 * neither: on a running master the capture replicates what the restore
 * writes, which is the point of restoring to the original location.
 */
import path from 'node:path';
import { replicaPathOf } from '../../core/scenario.js';
import type { ApplyGate, ReplicaWriteHook } from '../replica-write-hooks.js';
import { walkTree } from '../replication/tree-walk.js';
import type { ReplicationRuntime, ScenarioAssignment } from '../scenario-runtime.js';

export interface ReplicaRestoreGuardDeps {
  runtime: Pick<ReplicationRuntime, 'statistics'>;
  gate: ApplyGate;
  hook: ReplicaWriteHook;
  /** The scenarios this host was assigned (the assignment store). */
  assignments: () => Promise<ScenarioAssignment[]>;
}

function within(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

export interface RestoreTarget {
  scenarioId: string;
  self: string;
  /** Where master paths land: `{directory}{masterPath}`. */
  directory: string;
  /** Master paths restored; absent means the whole session, which lies within the scenario's roots. */
  paths?: string[];
}

/** Runs `restore` under the replica's rules when the restore reaches into this host's replica tree. */
export async function guardReplicaRestore<T>(
  deps: ReplicaRestoreGuardDeps,
  target: RestoreTarget,
  restore: () => Promise<T>,
): Promise<T> {
  const { scenarioId, self } = target;
  const assignment = (await deps.assignments()).find((a) => a.scenario.id === scenarioId);
  const replica = assignment?.scenario.replicas.find((r) => r.host.toLowerCase() === self.toLowerCase());
  if (!assignment || !replica) return restore();
  const trees = assignment.scenario.roots.map((root) => replicaPathOf(replica, root));
  const destinations = (target.paths ?? assignment.scenario.roots).map((p) => path.join(target.directory, p));
  // The part of each destination inside a replica tree: the destination itself, or the tree it contains.
  const touched = destinations.flatMap((d) =>
    trees.flatMap((tree) => (within(d, tree) ? [d] : within(tree, d) ? [tree] : [])),
  );
  if (touched.length === 0) return restore();
  const hold = deps.runtime.statistics(scenarioId) ? await deps.gate.pause(scenarioId) : undefined;
  try {
    for (const target of touched) {
      for (const entry of await walkTree(target)) {
        if (entry.kind === 'dir') await deps.hook.beforeAttributes(entry.path);
        else await deps.hook.beforeRemove(entry.path);
      }
    }
    return await restore();
  } finally {
    hold?.release();
  }
}

/**
 * The handlers for the commands the replication engine and discovery
 * serve: start, stop, suspend, resume, discover, and the rewind point and
 * rewind of data rewind. Each parses its
 * arguments, checks the scenario involves this host (an agent acts only for
 * its own host), calls the injected engine, and keeps the status reporter's
 * list of running scenarios current.
 */

import { RewindArgs, RewindPointArgs } from '../../core/agent-commands.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import type { ReplicaSpec, Scenario } from '../../core/scenario.js';
import { mergeEntities } from '../discovery/merge-entities.js';
import type { DiscoverEntities, ReplicationRuntime } from '../scenario-runtime.js';
import type { StoredAssignments } from './assignment-store.js';
import { DiscoverArgs, ScenarioRefArgs, StartArgs } from './command-args.js';
import type { CommandHandlers } from './dispatcher.js';
import type { StatusReporter } from './status-reporter.js';

export interface ReplicationHandlerDeps {
  runtime: ReplicationRuntime;
  discover: DiscoverEntities;
  status: Pick<StatusReporter, 'track' | 'untrack' | 'report'>;
  /** Where started scenarios are remembered across agent restarts. */
  assignments: Pick<StoredAssignments, 'save' | 'remove'>;
}

const ROLE_NAMES = { any: 'master or replica', master: 'its master', replica: 'a replica' } as const;

/** Refuses (AE0468) a command for a scenario in which this host has not the role; answers its replica spec when it is a replica. */
function requireRole(
  scenario: Scenario,
  self: string,
  role: keyof typeof ROLE_NAMES,
  addressedTo?: string,
): ReplicaSpec | undefined {
  if (addressedTo !== undefined && addressedTo.toLowerCase() !== self.toLowerCase()) {
    throw new TidemarkError('AE0468', `the command is addressed to host ${addressedTo}, not to ${self}`);
  }
  // Host names are case-insensitive (the control plane stores them lower-cased).
  const me = self.toLowerCase();
  const isMaster = scenario.master.toLowerCase() === me;
  const replica = scenario.replicas.find((r) => r.host.toLowerCase() === me);
  if (replica && role !== 'master') return replica;
  if (isMaster && role !== 'replica') return undefined;
  throw new TidemarkError(
    'AE0468',
    `scenario ${scenario.id} does not name host ${self} as ${ROLE_NAMES[role]}`,
  );
}

export function replicationHandlers(deps: ReplicationHandlerDeps): CommandHandlers {
  const { runtime, discover, status, assignments } = deps;
  const stateOf = (scenarioId: string) => runtime.statistics(scenarioId)?.state;
  return {
    start: async (raw, { self }) => {
      const { scenario, peers, self: addressedTo } = StartArgs.parse(raw);
      requireRole(scenario, self, 'any', addressedTo);
      const assignment = { scenario, self, peers };
      // Remembered before starting: a crash during a long first synchronization must not forget the scenario.
      await assignments.save(assignment);
      try {
        await runtime.start(assignment);
      } catch (error) {
        await assignments.remove(scenario.id);
        throw error;
      }
      status.track(scenario.id);
      return { scenarioId: scenario.id, state: stateOf(scenario.id) };
    },
    stop: async (raw) => {
      const { scenarioId } = ScenarioRefArgs.parse(raw);
      await runtime.stop(scenarioId);
      await assignments.remove(scenarioId);
      status.untrack(scenarioId);
      return { scenarioId, state: 'stopped' };
    },
    suspend: async (raw, { log }) => {
      const { scenarioId } = ScenarioRefArgs.parse(raw);
      await runtime.suspend(scenarioId);
      // Best effort: a suspend for a backup must not fail because the journal's disk is full.
      await runtime
        .createRewindPoint(scenarioId, 'suspend')
        .catch((e: Error) => log.warn('no rewind point at the suspend', { scenarioId, error: e.message }));
      return { scenarioId, state: stateOf(scenarioId) };
    },
    rewind_point: async (raw, { self }) => {
      const { scenario, label } = RewindPointArgs.parse(raw);
      requireRole(scenario, self, 'replica');
      return runtime.createRewindPoint(scenario.id, 'bookmark', label);
    },
    rewind: async (raw, { self }) => {
      const { scenario, pointId } = RewindArgs.parse(raw);
      const replica = requireRole(scenario, self, 'replica') as ReplicaSpec; // role 'replica' answers one or throws
      const output = await runtime.rewind(scenario, replica.directory, pointId);
      // Stopped here by the rewind: not restarted after an agent restart either.
      await assignments.remove(scenario.id);
      status.untrack(scenario.id);
      return output;
    },
    resume: async (raw) => {
      const { scenarioId } = ScenarioRefArgs.parse(raw);
      await runtime.resume(scenarioId);
      return { scenarioId, state: stateOf(scenarioId) };
    },
    discover: async (raw, { self }) => {
      const { scenario, self: addressedTo } = DiscoverArgs.parse(raw);
      requireRole(scenario, self, 'master', addressedTo);
      const { entities, added } = mergeEntities(scenario.entities, await discover(scenario));
      await status.report(scenario.id, entities);
      return { scenarioId: scenario.id, entities, added: added.map((entity) => entity.name) };
    },
  };
}

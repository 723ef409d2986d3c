/**
 * Plans a scenario's sessions once its snapshot is taken: one per entity, each numbered from the
 * deployment's session counter. A scenario whose entities were never
 * discovered is backed up as one volume entity per root directory.
 */
import { z } from 'zod';
import { type PlannedSession, SnapshotOutput } from '../../core/agent-commands.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import { type Entity, Scenario } from '../../core/scenario.js';
import { nextSessionNumber } from '../repositories/counters.js';
import { stepHandler } from '../shared/step-handler.js';

const Input = z.object({ scenario: Scenario, snapshot: z.unknown() });

export function entitiesOf(scenario: Pick<Scenario, 'entities' | 'roots'>): Entity[] {
  if (scenario.entities.length > 0) return scenario.entities;
  return scenario.roots.map((root) => ({ name: root, kind: 'volume', paths: [root] }));
}

export const handler = stepHandler(Input, async ({ scenario, snapshot }) => {
  // The snapshot step's output is checked here, so the backup step's arguments are known to be whole.
  const taken = SnapshotOutput.safeParse(snapshot);
  if (!taken.success) {
    throw TidemarkError.fromCatalogue('AE0460', {
      scenario: scenario.name,
      scenarioId: scenario.id,
      host: scenario.replicas[0]?.host,
    });
  }
  const sessions: PlannedSession[] = [];
  for (const entity of entitiesOf(scenario)) sessions.push({ number: await nextSessionNumber(), entity });
  return { snapshotId: taken.data.snapshotId, sessions };
});

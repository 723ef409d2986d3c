/** The replica spec naming this host in a scenario: data commands that read the replica act only for their own host. */
import { TidemarkError } from '../../core/error-catalogue.js';
import type { ReplicaSpec, Scenario } from '../../core/scenario.js';

export function replicaOfSelf(scenario: Scenario, self: string): ReplicaSpec {
  // Host names are case-insensitive (the control plane stores them lower-cased).
  const replica = scenario.replicas.find((r) => r.host.toLowerCase() === self.toLowerCase());
  if (!replica)
    throw new TidemarkError(
      'AE0468',
      `scenario ${scenario.name} (${scenario.id}) has no replica on host ${self}`,
    );
  return replica;
}

/**
 * Whether a submitter may run a job: its credential's host scope must cover
 * the master and every replica of every scenario in the job (and a restore's
 * destination). A missing master is AE0459; a missing replica is a 403 that
 * names the replica.
 */
import { renderError, TidemarkError } from '../../../core/error-catalogue.js';
import type { Scenario } from '../../../core/scenario.js';
import type { HostScope } from '../../shared/host-scope.js';

export function assertJobAuthority(
  scenarios: readonly Pick<Scenario, 'id' | 'name' | 'master' | 'replicas'>[],
  scope: HostScope,
): void {
  scenarios.forEach((scenario, index) => {
    if (!scope.covers(scenario.master)) {
      const { message } = renderError('AE0459', {
        scenario: scenario.name,
        scenarioId: scenario.id,
        host: scenario.master,
      });
      throw new TidemarkError('AE0459', message, 403, `scenarios.${index}`);
    }
    for (const replica of scenario.replicas) {
      if (scope.covers(replica.host)) continue;
      throw new TidemarkError(
        'Forbidden',
        `Scenario ${scenario.name} (${scenario.id}): the job lacks valid authority on the replica ${replica.host}.`,
        403,
        `scenarios.${index}`,
      );
    }
  });
}

/** A restore's destination host must be in scope too. */
export function assertHostAuthority(host: string, scope: HostScope, field: string): void {
  if (scope.covers(host)) return;
  throw new TidemarkError(
    'Forbidden',
    `the job lacks valid authority on the destination host ${host}`,
    403,
    field,
  );
}

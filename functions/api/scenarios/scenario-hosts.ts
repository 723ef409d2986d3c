/**
 * The enrolled hosts a scenario names. A master or replica that does not
 * resolve to an enrolled host is AE0467, naming the request field, so an
 * operator sees which name to fix.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { renderError, TidemarkError } from '../../../core/error-catalogue.js';
import type { Host } from '../../../core/host.js';
import type { Scenario } from '../../../core/scenario.js';
import { keys } from '../../../core/table.js';
import { getHost } from '../../repositories/hosts.js';
import { db, tableName } from '../../repositories/table.js';

export interface ScenarioHosts {
  master: Host;
  /** In the order of `scenario.replicas`. */
  replicas: Host[];
}

export async function hostByName(name: string): Promise<Host | undefined> {
  const { Item } = await db().send(
    new GetCommand({ TableName: tableName(), Key: keys.hostName(name.toLowerCase()), ConsistentRead: true }),
  );
  return typeof Item?.hostId === 'string' ? getHost(Item.hostId) : undefined;
}

/**
 * Resolves master and replicas to enrolled hosts; throws AE0467 naming the
 * field (`master`, `replicas.1.host`) of the first that does not resolve.
 * `status` is 400 for a request being checked and 409 for a stored scenario.
 */
export async function resolveScenarioHosts(
  scenario: Pick<Scenario, 'name' | 'master' | 'replicas'> & { id?: string },
  status = 400,
): Promise<ScenarioHosts> {
  const names = [scenario.master, ...scenario.replicas.map((replica) => replica.host)];
  const hosts = await Promise.all(names.map(hostByName));
  hosts.forEach((host, index) => {
    if (host) return;
    const field = index === 0 ? 'master' : `replicas.${index - 1}.host`;
    const { message } = renderError('AE0467', {
      scenario: scenario.name,
      scenarioId: scenario.id ?? 'not yet created',
      host: names[index],
    });
    throw new TidemarkError('AE0467', message, status, field);
  });
  const [master, ...replicas] = hosts as Host[];
  return { master: master as Host, replicas };
}

/** A scenario's hosts must be distinct: a host cannot replicate to itself or twice. */
export function assertDistinctHosts(scenario: Pick<Scenario, 'master' | 'replicas'>): void {
  const seen = new Set([scenario.master.toLowerCase()]);
  scenario.replicas.forEach((replica, index) => {
    const name = replica.host.toLowerCase();
    if (seen.has(name)) {
      throw new TidemarkError(
        'BadRequest',
        `body field 'replicas.${index}.host': host '${name}' already takes part in the scenario`,
        400,
        `replicas.${index}.host`,
      );
    }
    seen.add(name);
  });
}

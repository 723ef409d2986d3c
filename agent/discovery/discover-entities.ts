/**
 * Entity discovery by application type: the `DiscoverEntities` the daemon
 * runs for a `discover` command and the CLI's `discover` runs by hand.
 */
import type { Entity, ScenarioType } from '../../core/scenario.js';
import type { DiscoverEntities } from '../scenario-runtime.js';
import { discoverExchangeStorageGroups } from './exchange-storage-groups.js';
import { discoverVolumes } from './fileserver-volumes.js';
import { discoverPostgresDatabases } from './postgresql-databases.js';
import { discoverSqlServerDatabases } from './sqlserver-databases.js';

const BY_TYPE: Record<ScenarioType, (roots: string[]) => Promise<Entity[]>> = {
  fileserver: (roots) => discoverVolumes(roots),
  sqlserver: discoverSqlServerDatabases,
  exchange: discoverExchangeStorageGroups,
  postgresql: discoverPostgresDatabases,
};

export function discoverByType(type: ScenarioType, roots: string[]): Promise<Entity[]> {
  return BY_TYPE[type](roots);
}

export const discoverEntities: DiscoverEntities = (scenario) => discoverByType(scenario.type, scenario.roots);

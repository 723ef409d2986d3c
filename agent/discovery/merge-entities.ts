/**
 * Re-discovery adds what is new and keeps what the scenario already has:
 * an entity that vanished (a database detached for maintenance) is not
 * dropped from the scenario behind the operator's back.
 */
import type { Entity } from '../../core/scenario.js';

export function mergeEntities(
  known: Entity[],
  discovered: Entity[],
): { entities: Entity[]; added: Entity[] } {
  const key = (entity: Entity) => `${entity.kind}\0${entity.name}`;
  const seen = new Set(known.map(key));
  const added = discovered.filter((entity) => !seen.has(key(entity)));
  return { entities: [...known, ...added], added };
}

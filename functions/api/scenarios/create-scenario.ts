import { CreateScenarioRequest } from '../../../core/scenario.js';
import { createScenario } from '../../repositories/scenarios.js';
import { httpHandler } from '../../shared/http-handler.js';
import { assertDistinctHosts, resolveScenarioHosts } from './scenario-hosts.js';

/**
 * POST /scenarios: define a scenario (stopped) over enrolled hosts; 400 AE0467
 * names a host that is not. Admin only (routes.ts): roots and replica
 * directories decide what an agent reads and writes.
 */
export const handler = httpHandler({ body: CreateScenarioRequest }, async ({ body, catalog }) => {
  catalog.scope.requireHost(body.master, 'master');
  for (const [i, replica] of body.replicas.entries())
    catalog.scope.requireHost(replica.host, `replicas.${i}.host`);
  assertDistinctHosts(body);
  await resolveScenarioHosts(body);
  return { statusCode: 201, body: await createScenario(body) };
});

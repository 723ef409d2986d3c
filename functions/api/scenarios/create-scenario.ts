import { CreateScenarioRequest } from '../../../core/scenario.js';
import { createScenario } from '../../repositories/scenarios.js';
import { httpHandler } from '../../shared/http-handler.js';
import { assertDistinctHosts, resolveScenarioHosts } from './scenario-hosts.js';

/** POST /scenarios: define a scenario (stopped) over enrolled hosts; 400 AE0467 names a host that is not. */
export const handler = httpHandler({ body: CreateScenarioRequest }, async ({ body }) => {
  assertDistinctHosts(body);
  await resolveScenarioHosts(body);
  return { statusCode: 201, body: await createScenario(body) };
});

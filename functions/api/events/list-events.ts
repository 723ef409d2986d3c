import { listEvents } from '../../repositories/events.js';
import { httpHandler } from '../../shared/http-handler.js';
import { ScenarioParams } from '../scenarios/scenario-params.js';
import { EventsQuery } from './schemas.js';

/** GET /scenarios/{scenarioId}/events: the scenario's events, newest first. */
export const handler = httpHandler(
  { params: ScenarioParams, query: EventsQuery },
  async ({ params, query, catalog }) => {
    const scenario = await catalog.scenario(params.scenarioId);
    return { body: { scenarioId: scenario.id, ...(await listEvents(scenario.id, query.limit, query.next)) } };
  },
);

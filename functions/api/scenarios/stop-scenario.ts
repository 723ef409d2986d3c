import { scenarioActionHandler } from './scenario-action.js';

/** POST /scenarios/{scenarioId}/stop: → stopped; a stop command for the master and every replica. */
export const handler = scenarioActionHandler('stop');

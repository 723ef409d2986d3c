import { scenarioActionHandler } from './scenario-action.js';

/** POST /scenarios/{scenarioId}/discover: a discover command for the master; entities come back in its status report. */
export const handler = scenarioActionHandler('discover');

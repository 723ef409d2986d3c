import { scenarioActionHandler } from './scenario-action.js';

/** POST /scenarios/{scenarioId}/run: stopped or problem → synchronizing; a start command for the master and every replica. */
export const handler = scenarioActionHandler('run');

/** POST /jobs/{jobId}/release: a held job fires again (schedule ENABLED, status ready). */
import { jobActionHandler } from './job-action.js';

export const handler = jobActionHandler('release');

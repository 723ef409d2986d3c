/** POST /jobs/{jobId}/hold: a scheduled job stops firing (schedule DISABLED, status hold). */
import { jobActionHandler } from './job-action.js';

export const handler = jobActionHandler('hold');

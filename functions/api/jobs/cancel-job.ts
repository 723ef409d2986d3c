/** POST /jobs/{jobId}/cancel: stop a running execution and disable any schedule; result canceled. */
import { jobActionHandler } from './job-action.js';

export const handler = jobActionHandler('cancel');

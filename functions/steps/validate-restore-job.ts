/** First step of the restore workflow: the execution input must be a well-formed restore job. */
import { RestoreJobInput } from '../../core/workflow-input.js';
import { stepHandler } from '../shared/step-handler.js';

export const handler = stepHandler(RestoreJobInput, async (job) => job);

/** First step of the backup workflow: the execution input must be a well-formed job (AE0468 otherwise). */
import { BackupJobInput } from '../../core/workflow-input.js';
import { stepHandler } from '../shared/step-handler.js';

export const handler = stepHandler(BackupJobInput, async (job) => job);

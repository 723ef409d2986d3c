/** Last step of the backup workflow: folds the per-scenario outcomes into the job's result. */
import { z } from 'zod';
import { jobResultOf, ScenarioOutcome } from '../../core/workflow-input.js';
import { stepHandler } from '../shared/step-handler.js';

const Input = z.object({ jobId: z.string(), outcomes: z.array(ScenarioOutcome) });

export const handler = stepHandler(Input, async ({ jobId, outcomes }) => ({
  jobId,
  result: jobResultOf(outcomes),
  scenarios: outcomes,
}));

/**
 * The last step of every scenario in the backup workflow: releases the
 * scenario lock when the job took it, and folds what happened into the
 * scenario's outcome — failed with the step's error, incomplete with a
 * warning (AE0461), completed otherwise — with the assured-recovery report
 * when the check ran.
 */
import { z } from 'zod';
import { ScenarioOutcome, StepError } from '../../core/workflow-input.js';
import { releaseLock } from '../repositories/locks.js';
import { logger } from '../shared/powertools.js';
import { stepHandler } from '../shared/step-handler.js';
import { CaughtError, stepErrorOf } from './step-failure.js';

const Input = z.object({
  lockHeld: z.boolean(),
  state: z.object({
    jobId: z.string(),
    scenarioId: z.string(),
    scenarioName: z.string(),
    prepared: z.object({ replicaHost: z.string(), timeoutSeconds: z.number() }).partial().optional(),
    error: CaughtError.or(StepError).optional(),
    warning: CaughtError.optional(),
    assuredRecovery: ScenarioOutcome.shape.assuredRecovery,
    committed: z
      .object({
        sessions: z.array(z.number().int()),
        files: z.number().int(),
        directories: z.number().int(),
        bytes: z.number().int(),
        backupMs: z.number(),
      })
      .optional(),
  }),
});

export const handler = stepHandler(Input, async ({ lockHeld, state }) => {
  if (lockHeld) {
    // A release that fails must not hide the scenario's outcome: the lease frees the lock later.
    await releaseLock(state.scenarioId, state.jobId).catch((error: unknown) => {
      logger.warn('lock release failed', { scenarioId: state.scenarioId, error: String(error) });
    });
  }
  const context = {
    scenario: state.scenarioName,
    scenarioId: state.scenarioId,
    host: state.prepared?.replicaHost,
    timeoutSeconds: state.prepared?.timeoutSeconds,
  };
  const base = {
    scenarioId: state.scenarioId,
    scenarioName: state.scenarioName,
    ...state.committed,
    ...(state.assuredRecovery ? { assuredRecovery: state.assuredRecovery } : {}),
  };
  if (state.error) {
    const error = 'Error' in state.error ? stepErrorOf(state.error, context) : state.error;
    return ScenarioOutcome.parse({ ...base, status: 'failed', error });
  }
  if (state.warning) {
    // Snapshot retention is the only warning step: whatever its agent reported, the code is AE0461.
    const detail = stepErrorOf(state.warning, context);
    const warning = { code: 'AE0461', message: detail.message };
    return ScenarioOutcome.parse({ ...base, status: 'incomplete', warnings: [warning] });
  }
  return ScenarioOutcome.parse({ ...base, status: 'completed' });
});

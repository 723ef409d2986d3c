/**
 * Turns what a Step Functions Catch records (`{Error, Cause}`) into the
 * `{code, message}` an operator reads: a timed-out agent step is AE0469, a
 * Lambda step's Cause is Lambda's JSON error document (its errorMessage is
 * the message), an agent's SendTaskFailure carries the catalogue code and
 * its message as they are.
 */
import { z } from 'zod';
import { isCatalogueCode, renderError } from '../../core/error-catalogue.js';
import type { StepError } from '../../core/workflow-input.js';

export const CaughtError = z.object({ Error: z.string(), Cause: z.string().nullish() });
export type CaughtError = z.infer<typeof CaughtError>;

const TIMEOUTS = new Set(['States.Timeout', 'States.HeartbeatTimeout']);

export interface FailureContext {
  scenario?: string;
  scenarioId?: string;
  host?: string;
  timeoutSeconds?: number;
}

function causeMessage(cause: string | null | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed: unknown = JSON.parse(cause);
    const message = (parsed as { errorMessage?: unknown }).errorMessage;
    if (typeof message === 'string') return message;
  } catch {
    // Not JSON: an agent's message, kept as it is.
  }
  return cause;
}

export function stepErrorOf(caught: CaughtError, context: FailureContext = {}): StepError {
  if (TIMEOUTS.has(caught.Error)) {
    return { code: 'AE0469', message: renderError('AE0469', { ...context }).message };
  }
  const message = causeMessage(caught.Cause);
  if (isCatalogueCode(caught.Error)) {
    return { code: caught.Error, message: message ?? renderError(caught.Error, { ...context }).message };
  }
  // Anything else (a Lambda crash, States.Runtime) is an internal engine error with its detail.
  return {
    code: 'AE0472',
    message: renderError('AE0472', { ...context, detail: `${caught.Error}: ${message ?? 'no detail'}` })
      .message,
  };
}

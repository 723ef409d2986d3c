import { z } from 'zod';
import { TidemarkError } from '../../../core/error-catalogue.js';
import { getStoredCommand } from '../../repositories/commands.js';
import { httpHandler } from '../../shared/http-handler.js';
import { ScenarioParams } from './scenario-params.js';

export const ScenarioCommandParams = ScenarioParams.extend({ commandId: z.string().min(1).max(100) });

/** The scenario a command's arguments name (commands carry the definition or just its id). */
function scenarioIdOf(args: Record<string, unknown>): string | undefined {
  const scenario = args.scenario as { id?: unknown } | undefined;
  if (typeof scenario?.id === 'string') return scenario.id;
  return typeof args.scenarioId === 'string' ? args.scenarioId : undefined;
}

/**
 * GET /scenarios/{scenarioId}/commands/{commandId}: where a command sent for
 * the scenario stands (pending, running, succeeded with its output, failed
 * with its code), for clients that wait on run, stop, bookmark or rewind.
 */
export const handler = httpHandler({ params: ScenarioCommandParams }, async ({ params, catalog }) => {
  const scenario = await catalog.scenario(params.scenarioId);
  const stored = await getStoredCommand(params.commandId);
  if (!stored || scenarioIdOf(stored.args) !== scenario.id) {
    throw new TidemarkError(
      'NotFound',
      `scenario '${scenario.name}' has no command ${params.commandId}`,
      404,
      'commandId',
    );
  }
  // Agents' arguments stay with the agents; the task token never leaves the table.
  const { taskToken: _token, args: _args, ...command } = stored;
  return { body: command };
});

/**
 * The Lambda behind every waitForTaskToken step that needs a host: writes
 * the command item (host, kind, arguments, task token, deadline) and returns
 * at once. The step then waits until the agent's result reaches Step
 * Functions through POST /agent/commands/{id}/result.
 */
import { DispatchRequest } from '../../core/command.js';
import { TidemarkError } from '../../core/error-catalogue.js';
import { createCommand } from '../repositories/commands.js';
import { getHost } from '../repositories/hosts.js';
import { logger } from '../shared/powertools.js';
import { stepHandler } from '../shared/step-handler.js';

export const handler = stepHandler(DispatchRequest, async (request) => {
  // A command for a host that is not enrolled would only wait out its timeout.
  if (!(await getHost(request.hostId))) {
    const args = request.args as Record<string, string | undefined>;
    throw TidemarkError.fromCatalogue('AE0467', {
      host: request.hostId,
      scenario: args.scenarioName,
      scenarioId: args.scenarioId,
    });
  }
  const command = await createCommand(request);
  logger.info('command dispatched', { commandId: command.id, hostId: command.hostId, kind: command.kind });
  return { commandId: command.id };
});

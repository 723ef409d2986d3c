/**
 * `--wait` for commands the API hands to an agent: polls
 * GET /scenarios/{id}/commands/{commandId} until the agent has answered,
 * then answers the command (its output) or fails with the agent's code.
 */
import type { ApiClient, Json } from './api-client.js';
import { CliError } from './cli-error.js';

export async function waitForCommand(
  api: ApiClient,
  scenarioId: string,
  commandId: string,
  timeoutSeconds: number,
): Promise<Json> {
  const until = Date.now() + timeoutSeconds * 1000;
  const path = `/scenarios/${encodeURIComponent(scenarioId)}/commands/${encodeURIComponent(commandId)}`;
  for (let delay = 250; ; delay = Math.min(delay * 2, 2000)) {
    const command = await api.request('GET', path);
    if (command.status === 'succeeded') return command;
    if (command.status === 'failed') {
      const error = (command.error ?? {}) as Json;
      throw new CliError(
        String(error.code ?? 'AE0472'),
        String(error.message ?? 'the agent reported a failure'),
      );
    }
    if (Date.now() > until)
      throw new CliError(
        'AE0469',
        `command ${commandId} is still ${command.status} after ${timeoutSeconds} s; ask again with GET ${path}`,
      );
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** The CLI's only way to the control plane: JSON over HTTPS with the operator's bearer token. */
import { CliError } from './cli-error.js';
import type { Settings } from './settings.js';

export type Json = Record<string, unknown>;

export interface ApiClient {
  request(method: string, path: string, body?: unknown): Promise<Json>;
}

export function apiClient(settings: Pick<Settings, 'apiUrl' | 'token'>): ApiClient {
  return {
    async request(method, path, body) {
      let response: Response;
      try {
        response = await fetch(`${settings.apiUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${settings.token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
        throw new CliError('Unreachable', `cannot reach the API at ${settings.apiUrl} (${cause})`, 3);
      }
      const text = await response.text();
      let parsed: Json = {};
      if (text) {
        try {
          parsed = JSON.parse(text) as Json;
        } catch {
          throw new CliError(
            'InternalError',
            `the API answered ${response.status} with a body that is not JSON`,
          );
        }
      }
      if (!response.ok) {
        const code = typeof parsed.code === 'string' ? parsed.code : `HTTP${response.status}`;
        const message = typeof parsed.message === 'string' ? parsed.message : response.statusText;
        const field = typeof parsed.field === 'string' ? parsed.field : undefined;
        throw new CliError(code, message, 1, field);
      }
      return parsed;
    },
  };
}

/**
 * The console's only way to the control plane: JSON over the API with the
 * operator's bearer token (same origin, so no CORS). Errors come back as
 * ApiError with the API's `{code, message, field}`. Free of DOM globals so
 * it runs under the unit tests too.
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly field?: string,
  ) {
    super(message);
  }
}

export type QueryParams = Record<string, string | number | undefined>;

export interface ApiClient {
  get<T>(path: string, params?: QueryParams): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
}

type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{
  ok: boolean;
  status: number;
  statusText: string;
  text(): Promise<string>;
}>;

/** `/path?a=1` from the params that are set. */
export function pathWith(path: string, params: QueryParams = {}): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

export function createApiClient(options: { baseUrl?: string; token: string; fetch: FetchLike }): ApiClient {
  const baseUrl = options.baseUrl ?? '';
  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Awaited<ReturnType<FetchLike>>;
    try {
      response = await options.fetch(`${baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError('Unreachable', `cannot reach the API (${(error as Error).message})`, 0);
    }
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    if (text) {
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new ApiError(
          'InternalError',
          `the API answered ${response.status} with a body that is not JSON`,
          response.status,
        );
      }
    }
    if (!response.ok) {
      throw new ApiError(
        typeof parsed.code === 'string' ? parsed.code : `HTTP${response.status}`,
        typeof parsed.message === 'string' ? parsed.message : response.statusText,
        response.status,
        typeof parsed.field === 'string' ? parsed.field : undefined,
      );
    }
    return parsed as T;
  }
  return {
    get: (path, params) => request('GET', pathWith(path, params)),
    post: (path, body) => request('POST', path, body),
  };
}

/** Hands the views the signed-in API client, and signs out on a 401. */
import { createContext, type ReactNode, useContext, useMemo } from 'react';
import { type ApiClient, ApiError } from './client.js';

interface ApiSession {
  api: ApiClient;
  /** Forget the token and go back to the sign-in form. */
  signOut(reason?: string): void;
}

const ApiContext = createContext<ApiSession | undefined>(undefined);

export function ApiProvider(props: {
  api: ApiClient;
  onUnauthorized(reason: string): void;
  children: ReactNode;
}) {
  const { api, onUnauthorized } = props;
  const session = useMemo<ApiSession>(() => {
    // Every call that answers 401 sends the operator back to the form: the token expired or was revoked.
    const guarded = async <T,>(call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (error) {
        if (error instanceof ApiError && error.status === 401)
          onUnauthorized(`${error.code}: ${error.message}`);
        throw error;
      }
    };
    return {
      api: {
        get: (path, params) => guarded(() => api.get(path, params)),
        post: (path, body) => guarded(() => api.post(path, body)),
      },
      signOut: (reason) => onUnauthorized(reason ?? ''),
    };
  }, [api, onUnauthorized]);
  return <ApiContext.Provider value={session}>{props.children}</ApiContext.Provider>;
}

export function useApi(): ApiSession {
  const session = useContext(ApiContext);
  if (!session) throw new Error('useApi outside ApiProvider');
  return session;
}

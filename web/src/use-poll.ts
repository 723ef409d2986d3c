/** Loads data now and again every few seconds while the view is shown; `reload` after an action. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from './api/api-context.js';
import type { ApiClient } from './api/client.js';

export const REFRESH_MS = 5000;

export interface Polled<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload(): void;
}

/**
 * `key` names what is loaded: a new key drops the old data. `enabled: false` waits (e.g. for a form);
 * `refresh: false` loads once per key (for costly reads such as a file-name query).
 */
export function usePoll<T>(
  load: (api: ApiClient) => Promise<T>,
  key: string,
  options: { enabled?: boolean; refresh?: boolean } = {},
): Polled<T> {
  const enabled = options.enabled ?? true;
  const refresh = options.refresh ?? true;
  const { api } = useApi();
  const [state, setState] = useState<{ key: string; data?: T; error?: unknown; loading: boolean }>({
    key,
    loading: enabled,
  });
  const loadRef = useRef(load);
  loadRef.current = load;
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new tick is how reload() asks for a load now
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const data = await loadRef.current(api);
        if (live) setState({ key, data, loading: false });
      } catch (error) {
        // Keep the last good data on screen beside the error: a blip should not blank the view.
        if (live)
          setState((old) => ({ key, data: old.key === key ? old.data : undefined, error, loading: false }));
      }
      if (live && refresh) timer = setTimeout(run, REFRESH_MS);
    };
    void run();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [api, key, enabled, refresh, tick]);

  const current = state.key === key ? state : { key, loading: enabled };
  return {
    data: current.data,
    error: 'error' in current ? current.error : undefined,
    loading: current.loading,
    reload,
  };
}

/**
 * Data a page shows, kept fresh: loaded on mount and when its key changes, then again every few
 * seconds while the tab is visible, and at once when it becomes visible again. A failed refresh
 * keeps the last data and says why, so the page never pretends to be current.
 */
import { useCallback, useEffect, useRef, useState } from 'hono/jsx/dom';
import { ApiFailure } from './api.ts';

export const REFRESH_MS = 5_000;

export interface Live<T> {
  data: T | undefined;
  error: ApiFailure | null;
  /** when `data` was loaded. */
  updatedAt: number | null;
  reload: () => Promise<void>;
}

export function useLive<T>(load: () => Promise<T>, key: string, intervalMs = REFRESH_MS): Live<T> {
  const [state, setState] = useState<Omit<Live<T>, 'reload'>>({
    data: undefined,
    error: null,
    updatedAt: null,
  });
  const current = useRef({ load, key });
  current.current = { load, key };

  const reload = useCallback(async () => {
    const asked = current.current.key;
    try {
      const data = await current.current.load();
      if (current.current.key === asked) setState({ data, error: null, updatedAt: Date.now() });
    } catch (err) {
      const error = err instanceof ApiFailure ? err : new ApiFailure(0, 'client', (err as Error).message);
      if (current.current.key === asked) setState((before) => ({ ...before, error }));
    }
  }, []);

  useEffect(() => {
    setState({ data: undefined, error: null, updatedAt: null });
    void reload();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void reload();
    }, intervalMs);
    const onVisible = () => {
      if (document.visibilityState === 'visible') void reload();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [key, intervalMs]);

  return { ...state, reload };
}

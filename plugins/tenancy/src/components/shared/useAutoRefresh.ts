import { useCallback, useEffect, useRef, useState } from 'react';

/** How often every Tenancy view reloads, matching the backend's snapshot refresh. */
export const REFRESH_INTERVAL_MS = 30_000;

/** @public */
export interface AutoRefreshState<T> {
  value?: T;
  /** The last load's error; `value` still holds the last good data, if any. */
  error?: Error;
  loading: boolean;
  /** When `value` was loaded (epoch ms). */
  updatedAt?: number;
  refresh: () => void;
}

interface Loaded<T> {
  key: string;
  value?: T;
  error?: Error;
  loading: boolean;
  updatedAt?: number;
}

/**
 * Loads `load()` now and every `intervalMs`, keeping the last good value
 * through a failed reload so a flaky backend does not blank the page. `key`
 * names what is loaded: when it changes, nothing of the old key is shown.
 */
export function useAutoRefresh<T>(
  load: () => Promise<T>,
  key: string,
  intervalMs: number = REFRESH_INTERVAL_MS,
): AutoRefreshState<T> {
  const [state, setState] = useState<Loaded<T>>({ key, loading: true });
  const loadRef = useRef(load);
  loadRef.current = load;
  // Only the latest request may write the state: a slow earlier answer must
  // not overwrite a newer one, nor touch an unmounted component.
  const generation = useRef(0);
  const startedAt = useRef(0);

  const refresh = useCallback(() => {
    const current = ++generation.current;
    startedAt.current = Date.now();
    setState(s => ({ ...s, loading: true }));
    loadRef.current().then(
      value => {
        if (current !== generation.current) return;
        setState({ key, value, loading: false, updatedAt: Date.now() });
      },
      error => {
        if (current !== generation.current) return;
        setState(s => ({
          key,
          value: s.key === key ? s.value : undefined,
          updatedAt: s.key === key ? s.updatedAt : undefined,
          error: error instanceof Error ? error : new Error(String(error)),
          loading: false,
        }));
      },
    );
  }, [key]);

  useEffect(() => {
    // Invalidates in-flight loads on cleanup (the ref object, not a copy of its value).
    const requests = generation;
    refresh();
    const timer = setInterval(() => {
      // A hidden tab does not need fresh data; it gets it when shown again.
      if (document.visibilityState !== 'hidden') refresh();
    }, intervalMs);
    const onVisible = () => {
      if (
        document.visibilityState === 'visible' &&
        Date.now() - startedAt.current >= intervalMs
      )
        refresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
      requests.current++;
    };
  }, [refresh, intervalMs]);

  if (state.key !== key) return { loading: true, refresh };
  return {
    value: state.value,
    error: state.error,
    loading: state.loading,
    updatedAt: state.updatedAt,
    refresh,
  };
}

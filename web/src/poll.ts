import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';

/**
 * Live updates by polling the API (see docs/architecture.md): every view re-reads what it shows every few
 * seconds while the tab is visible. The store is the truth every replica writes to, so a move made by any
 * replica shows up, and every read is authorised like any other call.
 */
export const livePollMs = 2_000;
const maxBackoffMs = 30_000;

export type Polled<T> = {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  /** Read again now (after an action, or a "Verify again"). */
  refresh: () => void;
};

/** Loads `load()` when `key` changes, then every `everyMs` (0: once) while the page is visible. */
export function usePoll<T>(load: () => Promise<T>, key: string, everyMs: number = livePollMs): Polled<T> {
  const [state, setState] = useState<{ key: string; data: T | null; error: ApiError | null }>({
    key,
    data: null,
    error: null,
  });
  const loadRef = useRef(load);
  loadRef.current = load;
  const runRef = useRef<() => void>(() => {});

  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    let running = false;
    /** A refresh asked for while a read was in flight: read again when it lands. */
    let again = false;
    let loaded = false;
    let failures = 0;
    setState((s) => (s.key === key ? s : { key, data: null, error: null }));

    const schedule = () => {
      window.clearTimeout(timer);
      if (stopped || everyMs <= 0) return;
      const delay = failures === 0 ? everyMs : Math.min(everyMs * 2 ** failures, maxBackoffMs);
      timer = window.setTimeout(run, delay);
    };
    async function run() {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      // A hidden tab does not poll; it reads again as soon as it is shown.
      if (document.visibilityState === 'hidden' && loaded) return schedule();
      running = true;
      again = false;
      try {
        const data = await loadRef.current();
        failures = 0;
        loaded = true;
        if (!stopped) setState({ key, data, error: null });
      } catch (err) {
        failures++;
        const error = err instanceof ApiError ? err : new ApiError(0, 'CLIENT', String(err));
        if (!stopped) setState((s) => ({ key, data: s.key === key ? s.data : null, error }));
      } finally {
        running = false;
        if (again) run();
        else schedule();
      }
    }
    const onVisible = () => {
      if (document.visibilityState === 'visible') run();
    };
    runRef.current = () => {
      window.clearTimeout(timer);
      run();
    };
    document.addEventListener('visibilitychange', onVisible);
    run();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [key, everyMs]);

  const refresh = useCallback(() => runRef.current(), []);
  const current = state.key === key ? state : { data: null, error: null };
  return {
    data: current.data,
    error: current.error,
    loading: current.data === null && !current.error,
    refresh,
  };
}

import { useEffect, useState } from 'preact/hooks';
import { errorText } from './format';

export interface Polled<T> {
  data?: T;
  error?: string;
}

/**
 * Loads `load()` now and every `intervalMs` (counted from the start of the previous load, so a slow answer does not
 * stretch the period) while the view is shown; a slow answer is never overtaken by an older one, and a failure keeps
 * the last data beside the error.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, deps: unknown[] = []): Polled<T> {
  const [state, setState] = useState<Polled<T>>({});
  useEffect(() => {
    let active = true;
    let timer: number | undefined;
    const tick = async () => {
      const startedAt = Date.now();
      try {
        const data = await load();
        if (active) setState({ data });
      } catch (error) {
        if (active) setState((previous) => ({ data: previous.data, error: errorText(error) }));
      }
      const wait = Math.max(0, intervalMs - (Date.now() - startedAt));
      if (active) timer = window.setTimeout(() => void tick(), wait);
    };
    void tick();
    return () => {
      active = false;
      window.clearTimeout(timer);
    };
  }, deps);
  return state;
}

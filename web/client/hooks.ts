/**
 * `useState` for the dashboard's components: its setter does nothing once the component is gone.
 *
 * hono/jsx/dom marks a removed component so that the next update of its state is dropped, but only
 * the next: a second one (a page whose requests answer after the user left it, setting the run, then
 * its executions) draws the removed component again beside the page that replaced it. Every
 * component in web/client takes its state from here (test/unit/web/state-hook.test.ts checks).
 */
import { useCallback, useEffect, useState as useHonoState, useRef } from 'hono/jsx/dom';

type SetState<T> = (next: T | ((before: T) => T)) => void;

export function useState<T>(initial: T | (() => T)): [T, SetState<T>] {
  const [value, set] = useHonoState<T>(initial);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);
  const guarded = useCallback<SetState<T>>(
    (next) => {
      if (alive.current) set(next as T);
    },
    [set],
  );
  return [value, guarded];
}

/** What one transition works on: a private copy of the state, the time, and the commands it gives. */
import type { EnvironmentCommand } from './commands.ts';
import type { EnvironmentMachine } from './state.ts';

export interface TransitionContext {
  state: EnvironmentMachine;
  now: number;
  commands: EnvironmentCommand[];
}

/** A step that failed for good is logged and shown as the last error; the environment carries on. */
export function fail(c: TransitionContext, message: string): void {
  c.state.lastError = { at: c.now, message };
  c.commands.push({
    kind: 'log',
    level: 'error',
    message: 'environment step failed; the environment carries on',
    fields: { environment: c.state.config.environment, error: message },
  });
}

/** A deep copy of JSON data: the machine's state is plain JSON, and a transition never changes its input. */
export function copyJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Which of `sluice dev`'s lines show at each verbosity: `--quiet` keeps the start-up summary, failures
 * and errors; the default adds a line per run start and end and per plan step; `--verbose` adds each
 * model execution and the Temporal SDK's INFO logs.
 */
import type { DevEvent } from '../../workers/dev-activity.ts';

export const VERBOSITIES = ['quiet', 'normal', 'verbose'] as const;
export type Verbosity = (typeof VERBOSITIES)[number];

const FAILED_RUN = new Set(['failed', 'terminated']);
const FAILED_PLAN = new Set(['failed', 'terminated']);

export function shows(event: DevEvent, verbosity: Verbosity): boolean {
  switch (event.kind) {
    case 'watch-failed':
      return true;
    case 'run-finished':
      return verbosity !== 'quiet' || FAILED_RUN.has(event.run.status);
    case 'plan-step':
      return verbosity !== 'quiet' || FAILED_PLAN.has(event.plan.step);
    case 'run-started':
      return verbosity !== 'quiet';
    case 'execution-finished':
      return verbosity === 'verbose';
  }
}

/** The level the Temporal SDK's own logs are shown from. */
export function sdkLogLevel(verbosity: Verbosity): 'INFO' | 'WARN' {
  return verbosity === 'verbose' ? 'INFO' : 'WARN';
}

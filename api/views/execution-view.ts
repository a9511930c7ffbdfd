/** A model execution as the API lists it: the log left out (it has its own route), the interval as times. */
import type { ExecutionRecord } from '../../state/executions.ts';
import type { ExecutionView } from '../schemas/runs.ts';

export function executionView(record: ExecutionRecord): ExecutionView {
  const { log, interval, ...rest } = record;
  return {
    ...rest,
    interval: interval
      ? { start: new Date(interval[0]).toISOString(), end: new Date(interval[1]).toISOString() }
      : null,
    hasLog: log !== null,
  };
}

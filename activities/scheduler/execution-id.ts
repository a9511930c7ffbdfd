/** The ids of executions, derived from what they run so that a retried prepare finds its own. */
import type { Interval } from '../../core/intervals.ts';

/** The id of the execution of `model`'s batch starting at the interval's start in `runId`. */
export function executionIdOf(runId: string, model: string, batch: Interval | null): string {
  return `${runId}:${model}:${batch ? batch[0] : 'all'}`;
}

/** What a plan's application reports as it goes (stored as the plan's progress, sent to `onProgress`). */
import type { Interval } from '../../core/intervals.ts';

export type PlanProgress =
  | { step: 'snapshots'; stored: number }
  | { step: 'tables'; created: number }
  | {
      step: 'backfill';
      model: string;
      interval: Interval | null;
      /** executions finished so far, this one included, out of `total`. */
      done: number;
      total: number;
      rowsAffected: number | null;
      /** true when the batch had completed already (a retried application) and was not run again. */
      alreadyComplete: boolean;
    }
  | { step: 'views'; promoted: number; dropped: number }
  | { step: 'environment'; models: number }
  /** the plan, computed again when its turn came, changed nothing: applied without any work. */
  | { step: 'unchanged' };

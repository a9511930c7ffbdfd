/**
 * Numeric limits that reach the scheduler: a page's size and the executions a run may have at once
 * (threads). One check, `countProblem`, says whether a count is a whole number within its limit.
 */
import type { Problem } from './problem.ts';

export interface CountLimit {
  min: number;
  max: number;
}

/** Items per page of every list (50 when a request names none). */
export const PAGE_LIMIT: CountLimit = { min: 1, max: 500 };

/** Executions at once per gateway in a run. */
export const THREADS_LIMIT: CountLimit = { min: 1, max: 256 };

/** Why `value` is not a whole number between the limit's min and max, or null. */
export function countProblem(field: string, value: unknown, limit: CountLimit): Problem | null {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < limit.min || value > limit.max) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    return {
      field,
      message: `${field} must be a whole number from ${limit.min} to ${limit.max} (got ${shown})`,
    };
  }
  return null;
}

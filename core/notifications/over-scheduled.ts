/**
 * A model is over-scheduled when its recent runs take longer on average than its cron period: its
 * next tick comes before it is done, so it falls behind or skips ticks. Pure: the caller reads the
 * recent durations.
 */
import { nextTick } from '../cron.ts';

/** Recent runs needed before a model can be called over-scheduled. */
export const OVER_SCHEDULED_MIN_RUNS = 3;
/** How many of a model's most recent runs are averaged. */
export const OVER_SCHEDULED_RECENT_RUNS = 5;

/** The time between the two ticks after `at`. */
export function cronPeriodMs(cron: string, tz: string, at: number): number {
  const first = nextTick(cron, tz, at);
  return nextTick(cron, tz, first) - first;
}

/** The average of `durationsMs` when there are enough of them and it is over `periodMs`; else null. */
export function overScheduledAverage(durationsMs: readonly number[], periodMs: number): number | null {
  if (durationsMs.length < OVER_SCHEDULED_MIN_RUNS) return null;
  const average = durationsMs.reduce((sum, d) => sum + d, 0) / durationsMs.length;
  return average > periodMs ? Math.round(average) : null;
}

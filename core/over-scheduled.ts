/**
 * Over-scheduling: a model is over-scheduled when its recent executions take longer on average than
 * its cron period, so its next tick comes before it is done and the tick is skipped (its intervals
 * wait for the next execution). The one judgement the notifications, the environment's status, the
 * metrics and the skips a tick records all use. Pure: the caller reads the recent durations.
 */
import { ticksAfter } from './cron.ts';

/** Recent executions needed before a model can be called over-scheduled. */
export const OVER_SCHEDULED_MIN_RUNS = 3;
/** How many of a model's most recent executions are averaged. */
export const OVER_SCHEDULED_RECENT_RUNS = 5;
/** Ticks after the instant of judgement whose gaps give a cron's period. */
const PERIOD_TICKS = 8;

/**
 * A cron's period after `at`: the median of the gaps between its next few ticks, so a cron whose
 * gaps vary (weekdays only, two hours a day, a daylight saving change) is judged by its usual gap,
 * not by the one weekend or short day that happens to come next.
 */
export function cronPeriodMs(cron: string, tz: string, at: number): number {
  const ticks: number[] = [];
  for (const tick of ticksAfter(cron, tz, at)) {
    ticks.push(tick);
    if (ticks.length === PERIOD_TICKS) break;
  }
  const gaps = ticks.slice(1).map((tick, i) => tick - ticks[i]!);
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor((gaps.length - 1) / 2)]!;
}

/** The average of `durationsMs` when there are enough of them and it is over `periodMs`; else null. */
export function overScheduledAverage(durationsMs: readonly number[], periodMs: number): number | null {
  if (durationsMs.length < OVER_SCHEDULED_MIN_RUNS) return null;
  const average = durationsMs.reduce((sum, d) => sum + d, 0) / durationsMs.length;
  return average > periodMs ? Math.round(average) : null;
}

export interface OverScheduled {
  /** how many recent executions were averaged. */
  executions: number;
  averageMs: number;
  periodMs: number;
  cron: string;
  cronTz: string;
  /** what to tell the user: the figures and what to change. */
  message: string;
}

export interface ModelTimings {
  cron: string;
  cronTz: string;
  /** the model's most recent execution durations, newest first (at most OVER_SCHEDULED_RECENT_RUNS). */
  durationsMs: readonly number[];
}

/** Whether the model is over-scheduled at `at`, with its figures and the message; null when it is not. */
export function overScheduled(model: ModelTimings, at: number): OverScheduled | null {
  const durations = model.durationsMs.slice(0, OVER_SCHEDULED_RECENT_RUNS);
  if (durations.length < OVER_SCHEDULED_MIN_RUNS) return null;
  const periodMs = cronPeriodMs(model.cron, model.cronTz, at);
  const averageMs = overScheduledAverage(durations, periodMs);
  if (averageMs === null) return null;
  const figures = {
    executions: durations.length,
    averageMs,
    periodMs,
    cron: model.cron,
    cronTz: model.cronTz,
  };
  return { ...figures, message: overScheduledMessage(figures) };
}

/**
 * "over-scheduled: its last 5 executions took 92 s on average, longer than its cron period of 60 s
 * (* * * * *); give it a longer cron or larger batches (batch_size)".
 */
export function overScheduledMessage(o: Omit<OverScheduled, 'message'>): string {
  const zone = o.cronTz === 'UTC' ? '' : ` in ${o.cronTz}`;
  return (
    `over-scheduled: its last ${o.executions} executions took ${span(o.averageMs)} on average, ` +
    `longer than its cron period of ${span(o.periodMs)} (${o.cron}${zone}); ` +
    'give it a longer cron or larger batches (batch_size)'
  );
}

/** Seconds up to two minutes, minutes up to two hours, hours beyond, rounded. */
function span(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 360) / 10} h`;
}

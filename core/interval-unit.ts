/**
 * Interval units: the grain in which a model's data is processed and recorded. Intervals always sit
 * on UTC unit boundaries (days start at 00:00 UTC, months on the 1st), whatever the cron's zone, as
 * in SQLMesh.
 */
import { ticksAfter, validateCron } from './cron.ts';
import type { IntervalUnit } from './project/types.ts';
import { addUtcMonths } from './time.ts';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Every unit, largest first. */
export const INTERVAL_UNITS: readonly IntervalUnit[] = [
  'year',
  'month',
  'day',
  'hour',
  'half_hour',
  'quarter_hour',
  'five_minute',
  'minute',
];

/**
 * The shortest length of each unit, as SQLMesh counts it (a month is 28 days, a year 365): a cron fits
 * a unit when its ticks are never closer together than this.
 */
export const UNIT_MIN_MS: Readonly<Record<IntervalUnit, number>> = {
  year: 365 * DAY_MS,
  month: 28 * DAY_MS,
  day: DAY_MS,
  hour: 60 * MINUTE_MS,
  half_hour: 30 * MINUTE_MS,
  quarter_hour: 15 * MINUTE_MS,
  five_minute: 5 * MINUTE_MS,
  minute: MINUTE_MS,
};

export function isIntervalUnit(value: string): value is IntervalUnit {
  return (INTERVAL_UNITS as readonly string[]).includes(value);
}

/** Length of a fixed-length unit in ms; months and years have none (use `addUnits`). */
export function unitMs(unit: IntervalUnit): number {
  if (unit === 'month' || unit === 'year') {
    throw new Error(`interval unit ${unit} has no fixed length; step it with addUnits`);
  }
  return UNIT_MIN_MS[unit];
}

/** The unit boundary at or before `ms` (UTC). */
export function floorToUnit(ms: number, unit: IntervalUnit): number {
  if (unit === 'year' || unit === 'month') {
    const date = new Date(ms);
    const month = unit === 'year' ? 0 : date.getUTCMonth();
    const floored = new Date(0);
    floored.setUTCFullYear(date.getUTCFullYear(), month, 1);
    return floored.getTime();
  }
  const size = UNIT_MIN_MS[unit];
  return Math.floor(ms / size) * size;
}

/** The unit boundary at or after `ms` (UTC). */
export function ceilToUnit(ms: number, unit: IntervalUnit): number {
  const floor = floorToUnit(ms, unit);
  return floor === ms ? ms : addUnits(floor, unit, 1);
}

/** `ms` moved by `n` units (negative goes back); months and years follow the UTC calendar. */
export function addUnits(ms: number, unit: IntervalUnit, n: number): number {
  if (!Number.isInteger(n)) throw new Error(`addUnits needs a whole number of units, got ${n}`);
  if (unit === 'month') return addUtcMonths(ms, n);
  if (unit === 'year') return addUtcMonths(ms, 12 * n);
  return ms + n * UNIT_MIN_MS[unit];
}

/** Number of whole units from boundary `from` to boundary `to` (both aligned to the unit). */
export function unitsBetween(from: number, to: number, unit: IntervalUnit): number {
  if (unit !== 'month' && unit !== 'year') return Math.round((to - from) / UNIT_MIN_MS[unit]);
  const a = new Date(from);
  const b = new Date(to);
  const months = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth());
  return unit === 'month' ? months : Math.trunc(months / 12);
}

/** Sampling reference and bounds for `smallestGapMs`: fixed, so a cron's unit never depends on the clock. */
const SAMPLE_FROM = Date.UTC(2001, 0, 1);
const SAMPLE_GAPS = 500;
const SAMPLE_SPAN_MS = 9 * 366 * DAY_MS;

const smallestGaps = new Map<string, number>();

/**
 * The smallest gap between consecutive UTC ticks of a cron, sampled from a fixed reference over up to
 * 500 gaps or nine years (enough to see February, leap days and every hour and weekday pattern).
 */
export function smallestGapMs(cron: string): number {
  const known = smallestGaps.get(cron);
  if (known !== undefined) return known;
  const problem = validateCron(cron);
  if (problem) throw new Error(problem);
  let previous: number | undefined;
  let smallest = Number.POSITIVE_INFINITY;
  let gaps = 0;
  for (const tick of ticksAfter(cron, 'UTC', SAMPLE_FROM - 1)) {
    if (previous !== undefined) {
      smallest = Math.min(smallest, tick - previous);
      gaps++;
    }
    previous = tick;
    if (gaps >= SAMPLE_GAPS || smallest <= UNIT_MIN_MS.minute || tick - SAMPLE_FROM > SAMPLE_SPAN_MS) break;
  }
  smallestGaps.set(cron, smallest);
  return smallest;
}

/**
 * The interval unit SQLMesh infers for a cron: the largest unit not longer than the smallest gap
 * between its ticks (read in UTC, whatever the model's `cron_tz`). SQLMesh rejects crons firing more
 * often than every five minutes; sluice gives them the `minute` unit.
 *
 * SQLMesh measures the gaps between the next five ticks after the current time; sluice measures them
 * over a long fixed sample, so the unit is the same for every cron whose gaps SQLMesh always sees, and
 * stable (never dependent on the load time) for the few whose shortest gap comes only now and then,
 * such as `*\/7 * * * *` (gaps of 7 minutes, and of 4 at each full hour).
 */
export function inferIntervalUnit(cron: string): IntervalUnit {
  const gap = smallestGapMs(cron);
  for (const unit of INTERVAL_UNITS) {
    if (UNIT_MIN_MS[unit] <= gap) return unit;
  }
  return 'minute';
}

/**
 * undefined when a model may use `unit` with `cron`, otherwise why not: as in SQLMesh, a cron may not
 * fire more often than its interval unit, or some runs would find no complete interval to process.
 */
export function intervalUnitIssue(cron: string, unit: IntervalUnit): string | undefined {
  const largest = inferIntervalUnit(cron);
  if (UNIT_MIN_MS[unit] > UNIT_MIN_MS[largest]) {
    return `cron '${cron}' fires more often than interval unit '${unit}' (at most '${largest}' fits it)`;
  }
  return undefined;
}
